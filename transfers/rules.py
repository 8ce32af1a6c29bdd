"""Pure transfer rules: the manifest workflow, who signs what, and the checks of a manifest's own data
(parties, lines, quantities, receipts, treatments) that need nothing but the objects in hand. No I/O:
the checks that read the registry or the ledger (permits, approvals, capacity) are in services.common.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import Enterprise, EnterpriseRole, ManagementMethod, MethodKind, PermitKind, WasteClass
from wasteparks.bounds import DateWindow
from wasteparks.errors import RuleViolation
from wasteparks.workflow import Transition, Workflow

from .models import (
    Acceptance,
    LedgerStage,
    Manifest,
    ManifestAction,
    ManifestLine,
    ManifestStatus,
    PackagingType,
    Party,
    PhysicalForm,
    Purpose,
    RevisionStatus,
)

if TYPE_CHECKING:
    from registry.tenancy import Scope

    from .services.drafts import LineInput
    from .services.manifests import ReceiptInput, TreatmentInput

S = ManifestStatus
R = EnterpriseRole
A = ManifestAction
ZERO = Decimal("0")

# A line or ledger entry above this is a typing error, not a truck load.
MAX_LINE_QUANTITY_T = Decimal("1000000")
QUANTITY_PLACES = 4
MIN_QUANTITY_T = Decimal("0.0001")
MAX_LINES_PER_MANIFEST = 50
MAX_PLATE_LENGTH = 16


# --- The manifest workflow ------------------------------------------------------------------------

# Which roles sign for each party.
PARTY_ROLES: dict[str, frozenset[str]] = {
    Party.CONSIGNOR: frozenset({R.ADMIN, R.PREPARER}),
    Party.CARRIER: frozenset({R.ADMIN, R.DRIVER}),
    Party.RECEIVER: frozenset({R.ADMIN, R.PREPARER}),
}


def party_enterprise_ids(scope: "Scope", party: str) -> frozenset[int]:
    """The enterprises `scope`'s user may sign for as `party`: its own, on which it holds a role of that
    party (none for a read-only session)."""
    if scope.read_only:
        return frozenset()
    return frozenset(pk for pk, roles in scope.enterprise_roles.items() if roles & PARTY_ROLES[party])


def pickup_enterprise_ids(scope: "Scope") -> frozenset[int]:
    """The carriers `scope`'s user picks up loads for: its own carrier enterprises on which it holds a
    carrier-signing role. The pickup page lists their loads; the menu and the landing page offer it."""
    if scope.read_only:
        return frozenset()
    return frozenset(pk for pk in scope.carrier_ids if scope.roles_on(pk) & PARTY_ROLES[Party.CARRIER])


# Statuses in which a revision request may be proposed: signed, and not withdrawn.
REVISABLE_STATUSES = frozenset({S.SUBMITTED, S.IN_TRANSIT, S.RECEIVED, S.COMPLETED, S.REJECTED})


# The one place that says which party may move a manifest from which status to which (DESIGN 4). The
# actions' labels name the rows of the signature trail ("Picked up"); the verbs name the step in a refusal.
MANIFEST_FLOW = Workflow(
    subject=gettext_lazy("manifest"),
    statuses=ManifestStatus,
    actions=ManifestAction,
    transitions={
        A.SUBMIT: Transition(
            sources={S.DRAFT},
            target=S.SUBMITTED,
            actor=Party.CONSIGNOR,
            roles=PARTY_ROLES[Party.CONSIGNOR],
            verb=gettext_lazy("sign and submit"),
        ),
        A.PICKUP: Transition(
            sources={S.SUBMITTED},
            target=S.IN_TRANSIT,
            actor=Party.CARRIER,
            roles=PARTY_ROLES[Party.CARRIER],
            verb=gettext_lazy("pick up"),
        ),
        A.RECEIVE: Transition(
            sources={S.IN_TRANSIT},
            target=S.RECEIVED,
            actor=Party.RECEIVER,
            roles=PARTY_ROLES[Party.RECEIVER],
            verb=gettext_lazy("receive"),
        ),
        A.TREAT: Transition(
            sources={S.RECEIVED},
            target=S.COMPLETED,
            actor=Party.RECEIVER,
            roles=PARTY_ROLES[Party.RECEIVER],
            verb=gettext_lazy("record the treatment"),
        ),
        # Cancelling is possible only before pickup: once the load moves, only the receiver can refuse it.
        A.CANCEL: Transition(
            sources={S.DRAFT, S.SUBMITTED},
            target=S.CANCELLED,
            actor=Party.CONSIGNOR,
            roles=PARTY_ROLES[Party.CONSIGNOR],
            verb=gettext_lazy("cancel"),
        ),
        A.REJECT: Transition(
            sources={S.IN_TRANSIT},
            target=S.REJECTED,
            actor=Party.RECEIVER,
            roles=PARTY_ROLES[Party.RECEIVER],
            verb=gettext_lazy("reject the load"),
        ),
        # Any party corrects what it signed; the status stays, and the other parties decide (REVISION_FLOW).
        A.REVISION_PROPOSED: Transition(
            sources=REVISABLE_STATUSES,
            target=None,
            verb=gettext_lazy("propose a revision"),
        ),
    },
)

# A revision request waits for every other party; one refusal refuses it, the last approval applies it.
REVISION_FLOW = Workflow(
    subject=gettext_lazy("revision request"),
    statuses=RevisionStatus,
    actions=ManifestAction,
    transitions={
        A.REVISION_APPROVED: Transition(
            sources={RevisionStatus.PENDING},
            target=None,
            verb=gettext_lazy("approve the revision"),
        ),
        A.REVISION_REFUSED: Transition(
            sources={RevisionStatus.PENDING},
            target=RevisionStatus.REFUSED,
            verb=gettext_lazy("refuse the revision"),
        ),
    },
)


def signatures_from(status: str) -> list[str]:
    """The party signatures (not the revision steps) the workflow allows from `status`."""
    return [action for action in MANIFEST_FLOW.available(status) if MANIFEST_FLOW[action].actor]


# Fields a revision may change. The consignor's declared quantity moves stock at pickup, so it is revisable
# only before. What the receiver weighed, accepted and treated is revisable once signed: only the receiver
# proposes it, the consignor decides (revision_deciders), and the approval re-books the ledger.
REVISABLE_MANIFEST_FIELDS = frozenset({"vehicle_plate", "planned_date"})
RECEIPT_FIELDS = frozenset({"received_quantity_t", "accepted_quantity_t"})
TREATMENT_FIELDS = frozenset({"treated_quantity_t", "treatment_method"})
RECEIVER_LINE_FIELDS = RECEIPT_FIELDS | TREATMENT_FIELDS
REVISABLE_LINE_FIELDS = (
    frozenset({"packaging_type", "packaging_count", "physical_form", "hazard", "batch_code", "declared_quantity_t"})
    | RECEIVER_LINE_FIELDS
)
LINE_FIELDS_FIXED_AFTER_PICKUP = frozenset({"declared_quantity_t"})

# Stages an enterprise records by hand; shipped and received come only from manifest signatures, and the two
# legs of a move between its own stores only from the move (services.ledger.move_stock).
MANUAL_STAGES = frozenset(
    {
        LedgerStage.GENERATED,
        LedgerStage.UTILIZED_IN_HOUSE,
        LedgerStage.DISPOSED_IN_HOUSE,
    }
)
# Keyed by str, like PARTY_ROLES: stages and kinds arrive as the plain values forms and the API give.
STAGE_METHOD_KIND: dict[str, str] = {
    LedgerStage.UTILIZED_IN_HOUSE: MethodKind.UTILIZATION,
    LedgerStage.DISPOSED_IN_HOUSE: MethodKind.DISPOSAL,
}
METHOD_KIND_STAGE: dict[str, str] = {kind: stage for stage, kind in STAGE_METHOD_KIND.items()}

# Permits that let a receiver accept each class. General industrial waste needs no operating licence.
RECEIVER_PERMIT_KINDS: dict[str, frozenset[str]] = {
    WasteClass.HAZARDOUS: frozenset({PermitKind.HAZARDOUS_OPERATING}),
    WasteClass.MEDICAL: frozenset({PermitKind.MEDICAL_DISPOSAL, PermitKind.HAZARDOUS_OPERATING}),
    WasteClass.GENERAL: frozenset(),
}
# Which method kinds a manifest's purpose allows at treatment.
PURPOSE_METHOD_KINDS: dict[str, frozenset[str]] = {
    Purpose.UTILIZATION: frozenset({MethodKind.UTILIZATION}),
    Purpose.DISPOSAL: frozenset({MethodKind.DISPOSAL}),
    Purpose.STORAGE: frozenset({MethodKind.STORAGE}),
}


def needs_operating_licence(waste_class: str) -> bool:
    return bool(RECEIVER_PERMIT_KINDS.get(waste_class))


# Solid Waste Law (2020) art. 22: solid waste leaving its province for storage or disposal needs the approval
# of the province it leaves; general industrial solid waste leaving it for utilization needs only a filing
# (备案) with that province. Hazardous and medical waste always need the approval (Transfer Measures 2022).


def needs_transfer_approval(*, waste_class: str, is_cross_province: bool, purpose: str) -> bool:
    """Cross-province hazardous and medical transfers, and general waste leaving for storage or disposal."""
    return is_cross_province and not needs_transfer_filing(
        waste_class=waste_class, is_cross_province=is_cross_province, purpose=purpose
    )


def needs_transfer_filing(*, waste_class: str, is_cross_province: bool, purpose: str) -> bool:
    """General industrial solid waste leaving the province for utilization: a filing, not an approval."""
    return is_cross_province and waste_class == WasteClass.GENERAL and purpose == Purpose.UTILIZATION


# --- Quantities -----------------------------------------------------------------------------------


def quantity_problem(value, *, allow_zero: bool = False) -> str | None:
    """Why `value` is not an acceptable quantity in tonnes, or None."""
    if isinstance(value, float):
        return _("Quantities are exact decimals; a floating-point number is refused.")
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return _("%(value)r is not a number.") % {"value": value}
    if not quantity.is_finite():
        return _("%(value)r is not a finite number.") % {"value": value}
    if quantity < 0 or (quantity == 0 and not allow_zero):
        return _("The quantity must be greater than 0 t; got %(quantity)s t.") % {"quantity": quantity}
    if quantity > MAX_LINE_QUANTITY_T:
        return _("%(quantity)s t is above the %(limit)s t limit per line.") % {
            "quantity": quantity,
            "limit": MAX_LINE_QUANTITY_T,
        }
    exponent = quantity.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > QUANTITY_PLACES:
        return _("%(value)s has more than %(places)s decimal places (0.1 kg).") % {
            "value": value,
            "places": QUANTITY_PLACES,
        }
    return None


def check_quantity(value, *, field: str, allow_zero: bool = False) -> Decimal:
    """`value` as a quantity in tonnes, or RuleViolation(invalid_quantity) naming `field`."""
    problem = quantity_problem(value, allow_zero=allow_zero)
    if problem:
        raise RuleViolation(problem, code="invalid_quantity", fields={field: [problem]})
    return Decimal(str(value))


def is_discrepancy(*, declared: Decimal, received: Decimal, tolerance: Decimal) -> bool:
    """Received differs from declared by more than `tolerance` (a fraction of the declared quantity)."""
    return abs(received - declared) > declared * tolerance


def deviation_pct(*, declared: Decimal, received: Decimal) -> Decimal:
    return ((received - declared) / declared * 100).quantize(Decimal("0.01"))


# --- Dates ----------------------------------------------------------------------------------------


def check_in_window(value: date | datetime | None, window: DateWindow, *, field: str) -> None:
    """A date or time someone gave lies in its window (wasteparks.bounds: EVENT for what happened, PLAN
    for what is planned), or RuleViolation(out_of_window) naming `field`."""
    problem = window.problem(value)
    if problem:
        raise RuleViolation(problem, code="out_of_window", fields={field: [problem]})


# --- A manifest's parties and lines ---------------------------------------------------------------


def check_parties(*, consignor: Enterprise, carrier: Enterprise, receiver: Enterprise, choosing: bool = False) -> None:
    """Each party is registered for its part, and the consignor does not ship to itself.

    The carrier and the receiver are usually other tenants, chosen by id: a refusal of either never names
    it. While they are being chosen (`choosing`: a draft is prepared), one that is not active is refused
    as one not registered for the part, the same answer, so picking ids does not tell them apart. Later
    the parties are the manifest's own, and check_parties_active says which one stopped being active."""
    if not (consignor.is_generator or consignor.is_receiver):
        raise RuleViolation(
            _("%(consignor_name)s is neither a generator nor a collector and cannot consign waste.")
            % {"consignor_name": consignor.name},
            code="not_a_consignor",
            fields={"consignor": [_("Not a generator or collector.")]},
        )
    if not carrier.is_carrier or (choosing and not carrier.is_active):
        raise RuleViolation(
            _("The chosen carrier is not an active, registered carrier."),
            code="not_a_carrier",
            fields={"carrier": [_("Choose one of the carriers offered.")]},
        )
    if not receiver.is_receiver or (choosing and not receiver.is_active):
        raise RuleViolation(
            _("The chosen receiver is not an active, registered receiver."),
            code="not_a_receiver",
            fields={"receiver": [_("Choose one of the receivers offered.")]},
        )
    if consignor.pk == receiver.pk:
        raise RuleViolation(_("The consignor cannot ship to itself."), code="same_consignor_and_receiver")


def check_parties_active(*parties: Enterprise) -> None:
    for enterprise in parties:
        if not enterprise.is_active:
            raise RuleViolation(
                _("All parties must be active: %(name)s is %(status)s.")
                % {"name": enterprise.name, "status": enterprise.get_status_display()},
                code="party_not_active",
            )


def check_purpose(purpose: str) -> None:
    if purpose not in Purpose.values:
        raise RuleViolation(_("Unknown purpose %(purpose)r.") % {"purpose": purpose}, code="invalid_purpose")


def check_lines(*, lines: Sequence["LineInput"], waste_class: str, consignor: Enterprise) -> None:
    """A manifest carries 1 to MAX_LINES_PER_MANIFEST lines of catalogue codes of its class, shipped
    from the consignor's own facilities."""
    if not lines:
        raise RuleViolation(
            _("A manifest needs at least one line."), code="no_lines", fields={"lines": [_("Required.")]}
        )
    if len(lines) > MAX_LINES_PER_MANIFEST:
        raise RuleViolation(
            _("A manifest has at most %(rules_MAX_LINES_PER_MANIFEST)s lines; got %(len_lines)s.")
            % {"rules_MAX_LINES_PER_MANIFEST": MAX_LINES_PER_MANIFEST, "len_lines": len(lines)},
            code="too_many_lines",
        )
    if waste_class not in WasteClass.values:
        raise RuleViolation(
            _("Unknown waste class %(waste_class)r.") % {"waste_class": waste_class}, code="invalid_waste_class"
        )
    for number, line in enumerate(lines, start=1):
        check_quantity(line.declared_quantity_t, field=f"lines[{number}].declared_quantity_t")
        if line.waste_code.waste_class != waste_class:
            raise RuleViolation(
                _("Line %(number)s: %(code)s is %(code_class)s waste; it cannot go on a %(waste_class)s manifest.")
                % {
                    "number": number,
                    "code": line.waste_code.code,
                    "code_class": line.waste_code.waste_class,
                    "waste_class": waste_class,
                },
                code="waste_class_mismatch",
                fields={f"lines[{number}].waste_code": [_("Does not match the manifest's waste class.")]},
            )
        if not line.waste_code.active:
            raise RuleViolation(
                _("Line %(number)s: %(code)s is no longer in the catalogue.")
                % {"number": number, "code": line.waste_code.code},
                code="code_inactive",
            )
        if line.source_facility.enterprise_id != consignor.pk:
            raise RuleViolation(
                _("Line %(number)s: facility %(facility)s does not belong to %(consignor_name)s.")
                % {
                    "number": number,
                    "facility": line.source_facility.name,
                    "consignor_name": consignor.name,
                },
                code="facility_not_of_enterprise",
            )
        if line.packaging_type not in PackagingType.values or line.physical_form not in PhysicalForm.values:
            raise RuleViolation(
                _("Line %(number)s: unknown packaging type or physical form.") % {"number": number}, code="invalid_line"
            )
        if not isinstance(line.packaging_count, int) or line.packaging_count < 1:
            raise RuleViolation(
                _("Line %(number)s: the number of packages must be at least 1.") % {"number": number},
                code="invalid_line",
            )


# --- Signatures -----------------------------------------------------------------------------------


def clean_plate(vehicle_plate: str | None) -> str:
    """The carrier's plate, trimmed; required at pickup."""
    plate = (vehicle_plate or "").strip()
    if not plate or len(plate) > MAX_PLATE_LENGTH:
        raise RuleViolation(
            _("The vehicle plate is required (at most 16 characters)."),
            code="vehicle_plate_required",
            fields={"vehicle_plate": [_("Required.")]},
        )
    return plate


def check_cancel_reason(*, from_status: str, reason: str) -> None:
    """A draft is withdrawn without a word; a signed manifest needs the reason."""
    if from_status != S.DRAFT and not reason.strip():
        raise RuleViolation(
            _("Give the reason for cancelling a signed manifest."),
            code="reason_required",
            fields={"reason": [_("Required.")]},
        )


def check_reject_reason(reason: str) -> None:
    if not reason.strip():
        raise RuleViolation(
            _("Give the reason for rejecting the load."), code="reason_required", fields={"reason": [_("Required.")]}
        )


def check_receipt_lines(*, line_nos: Iterable[int], given: Iterable[int]) -> None:
    """A receipt names every line of the manifest exactly once."""
    expected, given = sorted(line_nos), sorted(given)
    if given != expected:
        raise RuleViolation(
            _("Give the receipt of every line exactly once: lines %(expected)s, got %(given)s.")
            % {"expected": expected, "given": given},
            code="receipt_lines_mismatch",
            fields={"lines": [_("One entry per manifest line.")]},
        )


def check_treatment_lines(*, accepted_line_nos: Iterable[int], given: Iterable[int]) -> None:
    """A treatment names every line that accepted something exactly once."""
    expected, given = sorted(accepted_line_nos), sorted(given)
    if given != expected:
        raise RuleViolation(
            _("Record the treatment of every accepted line exactly once: lines %(expected)s, got %(given)s.")
            % {"expected": expected, "given": given},
            code="treatment_lines_mismatch",
            fields={"lines": [_("One entry per accepted line.")]},
        )


def receipt_quantities(item: "ReceiptInput", *, receiver: Enterprise) -> tuple[Decimal, Decimal]:
    """(received, accepted) of one receipt line, or RuleViolation: what is accepted is at most what was
    received, anything refused has a reason, and the load goes into one of the receiver's facilities."""
    field = f"lines[{item.line_no}]"
    received = check_quantity(item.received_quantity_t, field=f"{field}.received_quantity_t", allow_zero=True)
    if item.acceptance == Acceptance.ACCEPTED:
        accepted = received
        if received == 0:
            raise RuleViolation(
                _("Line %(line)s: nothing received cannot be accepted; mark it rejected with a reason.")
                % {"line": item.line_no},
                code="invalid_acceptance",
            )
    elif item.acceptance == Acceptance.PARTIALLY_REJECTED:
        if item.accepted_quantity_t is None:
            raise RuleViolation(
                _("Line %(line)s: a partial rejection states the accepted quantity.") % {"line": item.line_no},
                code="invalid_acceptance",
                fields={f"{field}.accepted_quantity_t": [_("Required.")]},
            )
        accepted = check_quantity(item.accepted_quantity_t, field=f"{field}.accepted_quantity_t")
        if accepted >= received:
            raise RuleViolation(
                _("Line %(line)s: accepted %(accepted)s t must be less than received %(received)s t.")
                % {"line": item.line_no, "accepted": accepted, "received": received},
                code="invalid_acceptance",
            )
    elif item.acceptance == Acceptance.REJECTED:
        accepted = ZERO
    else:
        raise RuleViolation(
            _("Unknown acceptance %(acceptance)r.") % {"acceptance": item.acceptance},
            code="invalid_acceptance",
        )
    if item.acceptance != Acceptance.ACCEPTED and not item.rejection_reason.strip():
        raise RuleViolation(
            _("Line %(line)s: give the reason for the rejection.") % {"line": item.line_no},
            code="rejection_reason_required",
            fields={f"{field}.rejection_reason": [_("Required.")]},
        )
    if item.facility.enterprise_id != receiver.pk:
        raise RuleViolation(
            _("Line %(line)s: facility %(facility)s does not belong to %(receiver)s.")
            % {
                "line": item.line_no,
                "facility": item.facility.name,
                "receiver": receiver.name,
            },
            code="facility_not_of_enterprise",
        )
    return received, accepted


def check_something_accepted(accepted: Iterable[Decimal]) -> None:
    if all(quantity == 0 for quantity in accepted):
        raise RuleViolation(
            _("Every line is refused: reject the whole load instead, so it goes back on record."),
            code="whole_load_rejected",
        )


def treated_quantity(item: "TreatmentInput", *, line: ManifestLine, purpose: str) -> Decimal:
    """The quantity of one treatment line: at most what was accepted, with a method of the purpose."""
    quantity = check_quantity(item.quantity_t, field=f"lines[{item.line_no}].quantity_t")
    if quantity > line.accepted_quantity_t:
        raise RuleViolation(
            _("Line %(line)s: %(quantity)s t treated is more than the %(accepted)s t accepted.")
            % {
                "line": item.line_no,
                "quantity": quantity,
                "accepted": line.accepted_quantity_t,
            },
            code="treated_exceeds_accepted",
        )
    if item.method.kind not in PURPOSE_METHOD_KINDS[purpose]:
        raise RuleViolation(
            _("Line %(number)s: method %(method)s (%(kind)s) does not serve the manifest's purpose, %(purpose)s.")
            % {"number": item.line_no, "method": item.method.code, "kind": item.method.kind, "purpose": purpose},
            code="method_not_for_purpose",
        )
    return quantity


# --- Revisions -------------------------------------------------------------------------------------


def corrects_receiver_figures(changes) -> bool:
    """A revision's `changes` name something the receiver answers for (RECEIVER_LINE_FIELDS). Anything
    not shaped like changes names nothing (propose_revision refuses it)."""
    lines = changes.get("lines") if isinstance(changes, dict) else None
    if not isinstance(lines, dict):
        return False
    return any(isinstance(fields, dict) and fields.keys() & RECEIVER_LINE_FIELDS for fields in lines.values())


def revision_deciders(manifest: Manifest, *, proposing_enterprise_id: int, changes: dict) -> list[str]:
    """The parties that decide a revision: each party held by another enterprise than the proposer. A
    correction of nothing but the receiver's own figures is the consignor's to decide, whose stock and
    report it changes."""
    others = [name for name in Party.values if manifest.party_id(name) != proposing_enterprise_id]
    only_receiver_figures = not changes.get("manifest") and all(
        set(fields) <= RECEIVER_LINE_FIELDS for fields in (changes.get("lines") or {}).values()
    )
    if only_receiver_figures and changes.get("lines"):
        return [name for name in others if name == Party.CONSIGNOR]
    return others


@dataclass(frozen=True)
class ReceiptFigures:
    """What a receiver signed for one line: received, accepted, and (once treated) treated and the method."""

    received_t: Decimal
    accepted_t: Decimal
    treated_t: Decimal | None
    method: ManagementMethod | None

    @classmethod
    def of(cls, line: ManifestLine) -> "ReceiptFigures":
        return cls(
            received_t=line.received_quantity_t if line.received_quantity_t is not None else ZERO,
            accepted_t=line.accepted_quantity_t if line.accepted_quantity_t is not None else ZERO,
            treated_t=line.treated_quantity_t,
            method=line.treatment_method,
        )

    @property
    def acceptance(self) -> str:
        if self.accepted_t == 0:
            return Acceptance.REJECTED
        return Acceptance.ACCEPTED if self.accepted_t == self.received_t else Acceptance.PARTIALLY_REJECTED


def corrected_receipt(
    line: ManifestLine, *, status: str, purpose: str, given: dict, method: ManagementMethod | None = None
) -> ReceiptFigures:
    """A line's receipt figures after the receiver's correction `given` ({field: value} of
    RECEIVER_LINE_FIELDS; the method already looked up as `method`), or RuleViolation.

    Figures not named follow the ones named as the signature had them: a line accepted in full stays
    accepted in full, a line treated in full stays treated in full. The checks are those of the receipt
    and the treatment: accepted at most received, treated at most accepted, a method of the manifest's
    purpose. Whether a line was accepted at all is not corrected here (that refuses or takes a load)."""
    prefix = f"lines.{line.line_no}"
    if status not in (S.RECEIVED, S.COMPLETED) or line.received_quantity_t is None:
        raise RuleViolation(
            _("Line %(line)s: the receipt is not signed, so there is no received quantity to correct.")
            % {"line": line.line_no},
            code="receipt_not_signed",
            fields={f"{prefix}.received_quantity_t": [_("Nothing to correct yet.")]},
        )
    if set(given) & TREATMENT_FIELDS and line.treated_quantity_t is None:
        raise RuleViolation(
            _("Line %(line)s: no treatment is recorded, so there is none to correct.") % {"line": line.line_no},
            code="treatment_not_recorded",
            fields={f"{prefix}.treated_quantity_t": [_("Nothing to correct yet.")]},
        )
    before = ReceiptFigures.of(line)
    received = before.received_t
    if "received_quantity_t" in given:
        received = check_quantity(given["received_quantity_t"], field=f"{prefix}.received_quantity_t", allow_zero=True)
    if "accepted_quantity_t" in given:
        accepted = check_quantity(given["accepted_quantity_t"], field=f"{prefix}.accepted_quantity_t", allow_zero=True)
    elif before.acceptance == Acceptance.ACCEPTED:
        accepted = received
    else:
        accepted = before.accepted_t
    if (accepted > 0) != (before.accepted_t > 0):
        raise RuleViolation(
            _(
                "Line %(line)s: a correction keeps the line accepted or refused as it was signed; "
                "%(before)s t accepted cannot become %(after)s t."
            )
            % {"line": line.line_no, "before": before.accepted_t, "after": accepted},
            code="invalid_acceptance",
            fields={f"{prefix}.accepted_quantity_t": [_("Keep the line accepted or refused as signed.")]},
        )
    if accepted > received:
        raise RuleViolation(
            _("Line %(line)s: accepted %(accepted)s t cannot be more than received %(received)s t.")
            % {"line": line.line_no, "accepted": accepted, "received": received},
            code="invalid_acceptance",
            fields={f"{prefix}.accepted_quantity_t": [_("At most the received quantity.")]},
        )
    treated = before.treated_t
    if "treated_quantity_t" in given:
        treated = check_quantity(given["treated_quantity_t"], field=f"{prefix}.treated_quantity_t")
    elif treated is not None and treated == before.accepted_t:
        treated = accepted
    if treated is not None and treated > accepted:
        raise RuleViolation(
            _("Line %(line)s: %(treated)s t treated is more than the %(accepted)s t accepted.")
            % {"line": line.line_no, "treated": treated, "accepted": accepted},
            code="treated_exceeds_accepted",
            fields={f"{prefix}.treated_quantity_t": [_("At most the accepted quantity.")]},
        )
    chosen = method if "treatment_method" in given else before.method
    if "treatment_method" in given and (chosen is None or chosen.kind not in PURPOSE_METHOD_KINDS[purpose]):
        raise RuleViolation(
            _("Line %(line)s: choose a management method of the manifest's purpose, %(purpose)s.")
            % {"line": line.line_no, "purpose": purpose},
            code="method_not_for_purpose",
            fields={f"{prefix}.treatment_method": [_("Choose a method of the manifest's purpose.")]},
        )
    after = ReceiptFigures(received_t=received, accepted_t=accepted, treated_t=treated, method=chosen)
    if after == before:
        raise RuleViolation(
            _("Line %(line)s: these are the figures already signed.") % {"line": line.line_no},
            code="invalid_revision",
            fields={prefix: [_("Nothing would change.")]},
        )
    return after
