"""Manifest workflows: prepare a draft, then the signatures of DESIGN 4, each one transaction.

Every transition locks the manifest row first, checks the actor signs for the right party with the
right role (403) and that the status allows the step (409), checks the rules that matter at that
moment (400, naming the rule and the numbers), writes its ledger entries and its status-log row, and
announces the change only after commit. Any refusal rolls the whole step back.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from registry.models import (
    Enterprise,
    EnterpriseMembership,
    Facility,
    ManagementMethod,
    TransferApproval,
    User,
    WasteClass,
    WasteCode,
)
from wasteparks.errors import RuleViolation, TransitionNotAllowed

from .. import rules
from ..models import (
    Acceptance,
    LedgerStage,
    Manifest,
    ManifestEvent,
    ManifestLine,
    ManifestStatus,
    PackagingType,
    Party,
    PhysicalForm,
    Purpose,
    RevisionRequest,
    RevisionStatus,
    Source,
)
from ..notifications import notify_discrepancy_on_commit
from ..numbering import allocate_number
from ..signals import send_manifest_changed_on_commit
from .common import (
    acting_role,
    check_approval,
    check_parties_active,
    check_quantity,
    check_receiver_permit,
    check_road_transport_permit,
    check_treatment_capacity,
    find_approval,
)
from .ledger import post_entry

S = ManifestStatus
ZERO = Decimal("0")


@dataclass(frozen=True)
class LineInput:
    waste_code: WasteCode
    source_facility: Facility
    declared_quantity_t: Decimal
    packaging_type: str = PackagingType.DRUM
    packaging_count: int = 1
    physical_form: str = PhysicalForm.SOLID
    hazard: str = ""
    batch_code: str = ""


@dataclass(frozen=True)
class ReceiptInput:
    line_no: int
    received_quantity_t: Decimal
    facility: Facility
    acceptance: str = Acceptance.ACCEPTED
    accepted_quantity_t: Decimal | None = None
    rejection_reason: str = ""


@dataclass(frozen=True)
class TreatmentInput:
    line_no: int
    method: ManagementMethod
    quantity_t: Decimal


# --- Drafts ---------------------------------------------------------------------------------------


def _check_parties(*, consignor: Enterprise, carrier: Enterprise, receiver: Enterprise) -> None:
    if not (consignor.is_generator or consignor.is_receiver):
        raise RuleViolation(
            _("%(consignor_name)s is neither a generator nor a collector and cannot consign waste.")
            % {"consignor_name": consignor.name},
            code="not_a_consignor",
            fields={"consignor": ["Not a generator or collector."]},
        )
    if not carrier.is_carrier:
        raise RuleViolation(
            _("%(carrier_name)s is not registered as a carrier.") % {"carrier_name": carrier.name},
            code="not_a_carrier",
            fields={"carrier": ["Not a carrier."]},
        )
    if not receiver.is_receiver:
        raise RuleViolation(
            _("%(receiver_name)s is not registered as a receiver.") % {"receiver_name": receiver.name},
            code="not_a_receiver",
            fields={"receiver": ["Not a receiver."]},
        )
    if consignor.pk == receiver.pk:
        raise RuleViolation("The consignor cannot ship to itself.", code="same_consignor_and_receiver")


def _check_lines(*, lines: list[LineInput], waste_class: str, consignor: Enterprise) -> None:
    if not lines:
        raise RuleViolation("A manifest needs at least one line.", code="no_lines", fields={"lines": ["Required."]})
    if len(lines) > rules.MAX_LINES_PER_MANIFEST:
        raise RuleViolation(
            _("A manifest has at most %(rules_MAX_LINES_PER_MANIFEST)s lines; got %(len_lines)s.")
            % {"rules_MAX_LINES_PER_MANIFEST": rules.MAX_LINES_PER_MANIFEST, "len_lines": len(lines)},
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
                f"Line {number}: {line.waste_code.code} is {line.waste_code.waste_class} waste; it cannot go on a "
                f"{waste_class} manifest.",
                code="waste_class_mismatch",
                fields={f"lines[{number}].waste_code": ["Does not match the manifest's waste class."]},
            )
        if not line.waste_code.active:
            raise RuleViolation(
                _("Line %(number)s: %(line_waste_code_code)s is no longer in the catalogue.")
                % {"number": number, "line_waste_code_code": line.waste_code.code},
                code="code_inactive",
            )
        if line.source_facility.enterprise_id != consignor.pk:
            raise RuleViolation(
                _("Line %(number)s: facility %(line_source_facility_name)s does not belong to %(consignor_name)s.")
                % {
                    "number": number,
                    "line_source_facility_name": line.source_facility.name,
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


def _write_lines(manifest: Manifest, lines: list[LineInput]) -> None:
    # With history, so the first version of each line is on record before any revision changes it.
    bulk_create_with_history(
        [
            ManifestLine(
                manifest=manifest,
                line_no=number,
                waste_code=line.waste_code,
                source_facility=line.source_facility,
                declared_quantity_t=Decimal(str(line.declared_quantity_t)),
                packaging_type=line.packaging_type,
                packaging_count=line.packaging_count,
                physical_form=line.physical_form,
                hazard=line.hazard or line.waste_code.hazard,
                batch_code=line.batch_code,
            )
            for number, line in enumerate(lines, start=1)
        ],
        ManifestLine,
    )


def _is_cross_province(consignor: Enterprise, receiver: Enterprise) -> bool:
    return consignor.park.division.province_code != receiver.park.division.province_code


@transaction.atomic
def create_manifest(
    *,
    actor: User,
    consignor: Enterprise,
    carrier: Enterprise,
    receiver: Enterprise,
    waste_class: str,
    purpose: str,
    planned_date: date,
    lines: list[LineInput],
    vehicle_plate: str = "",
    approval: TransferApproval | None = None,
) -> Manifest:
    """The consignor prepares a draft. Nothing is signed and no number is drawn yet."""
    acting_role(actor=actor, enterprise=consignor, allowed=rules.PARTY_ROLES[Party.CONSIGNOR], action="create")
    _check_parties(consignor=consignor, carrier=carrier, receiver=receiver)
    if purpose not in Purpose.values:
        raise RuleViolation(_("Unknown purpose %(purpose)r.") % {"purpose": purpose}, code="invalid_purpose")
    _check_lines(lines=lines, waste_class=waste_class, consignor=consignor)
    manifest = Manifest.objects.create(
        waste_class=waste_class,
        consignor=consignor,
        carrier=carrier,
        receiver=receiver,
        purpose=purpose,
        planned_date=planned_date,
        vehicle_plate=vehicle_plate.strip(),
        approval=approval,
        is_cross_province=_is_cross_province(consignor, receiver),
        created_by=actor,
    )
    _write_lines(manifest, lines)
    send_manifest_changed_on_commit(manifest_id=manifest.pk, action="create")
    return manifest


DRAFT_FIELDS = frozenset({"carrier", "receiver", "waste_class", "purpose", "planned_date", "vehicle_plate", "approval"})


@transaction.atomic
def update_draft(*, manifest: Manifest, actor: User, changes: dict, lines: list[LineInput] | None = None) -> Manifest:
    """Edit a draft: any of DRAFT_FIELDS, and optionally replace all its lines."""
    manifest = _lock(manifest)
    acting_role(actor=actor, enterprise=manifest.consignor, allowed=rules.PARTY_ROLES[Party.CONSIGNOR], action="edit")
    if manifest.status != S.DRAFT:
        raise TransitionNotAllowed(
            _("Only a draft can be edited; this manifest is %(manifest_get_status_display)s. Propose a revision.")
            % {"manifest_get_status_display": manifest.get_status_display()},
            code="not_a_draft",
        )
    unknown = set(changes) - DRAFT_FIELDS
    if unknown:
        raise RuleViolation(
            _("These fields cannot be edited: %(join_sorted_unknown)s.")
            % {"join_sorted_unknown": ", ".join(sorted(unknown))},
            code="invalid_field",
        )
    for name, value in changes.items():
        setattr(manifest, name, value.strip() if isinstance(value, str) else value)
    _check_parties(consignor=manifest.consignor, carrier=manifest.carrier, receiver=manifest.receiver)
    if manifest.purpose not in Purpose.values:
        raise RuleViolation(
            _("Unknown purpose %(manifest_purpose)r.") % {"manifest_purpose": manifest.purpose}, code="invalid_purpose"
        )
    if lines is not None:
        _check_lines(lines=lines, waste_class=manifest.waste_class, consignor=manifest.consignor)
        manifest.lines.all().delete()
        _write_lines(manifest, lines)
    else:
        current = [
            LineInput(
                waste_code=line.waste_code,
                source_facility=line.source_facility,
                declared_quantity_t=line.declared_quantity_t,
            )
            for line in manifest.lines.select_related("waste_code", "source_facility")
        ]
        _check_lines(lines=current, waste_class=manifest.waste_class, consignor=manifest.consignor)
    manifest.is_cross_province = _is_cross_province(manifest.consignor, manifest.receiver)
    manifest.save(update_fields=[*changes, "is_cross_province"])
    send_manifest_changed_on_commit(manifest_id=manifest.pk, action="edit")
    return manifest


# --- Transitions ----------------------------------------------------------------------------------


def _lock(manifest: Manifest) -> Manifest:
    # Lock first: two signers acting on the same manifest must not both move it. Only the manifest row
    # is locked (of=self); the parties are read, not locked.
    return (
        Manifest.objects.select_for_update(of=("self",))
        .select_related("consignor__park__division", "carrier", "receiver__park__division", "approval")
        .get(pk=manifest.pk)
    )


@dataclass
class _Signature:
    manifest: Manifest
    enterprise: Enterprise
    party: str
    role: str
    from_status: str
    target: str
    at: object


def _begin(*, manifest: Manifest, actor: User, action: str) -> _Signature:
    manifest = _lock(manifest)
    transition = rules.TRANSITIONS[action]
    enterprise = manifest.party_enterprise(transition.party)
    role = acting_role(actor=actor, enterprise=enterprise, allowed=transition.roles, action=action)
    if manifest.status not in transition.sources:
        raise TransitionNotAllowed(
            f"Cannot {action} a manifest that is {manifest.get_status_display()}; {action} needs status "
            f"{' or '.join(sorted(transition.sources))}.",
        )
    return _Signature(manifest, enterprise, transition.party, role, manifest.status, transition.target, timezone.now())


def _log(sig: _Signature, *, action: str, actor: User, comment: str, source: str, to_status: str | None = None) -> None:
    ManifestEvent.objects.create(
        manifest=sig.manifest,
        action=action,
        from_status=sig.from_status,
        to_status=to_status or sig.target,
        actor=actor,
        acting_enterprise=sig.enterprise,
        party=sig.party,
        role=sig.role,
        comment=comment.strip(),
        source=source,
        at=sig.at,
    )
    send_manifest_changed_on_commit(manifest_id=sig.manifest.pk, action=action)


def _finish(sig: _Signature, *, stamp: str, fields: tuple[str, ...] = ()) -> Manifest:
    manifest = sig.manifest
    manifest.status = sig.target
    setattr(manifest, stamp, sig.at)
    manifest.save(update_fields=["status", stamp, *fields])
    return manifest


def _lines(manifest: Manifest) -> list[ManifestLine]:
    return list(manifest.lines.select_related("waste_code__category", "source_facility", "receiving_facility"))


def _check_receiver_covers(manifest: Manifest, lines: list[ManifestLine], on: date) -> None:
    for line in lines:
        check_receiver_permit(
            receiver=manifest.receiver,
            waste_code=line.waste_code,
            waste_class=manifest.waste_class,
            on=on,
            method_kinds=rules.PURPOSE_METHOD_KINDS[manifest.purpose],
        )


@transaction.atomic
def submit_manifest(*, manifest: Manifest, actor: User, comment: str = "", source: str = Source.WEB) -> Manifest:
    """The consignor signs: the rules are checked, the number is drawn and the declared data frozen."""
    sig = _begin(manifest=manifest, actor=actor, action="submit")
    manifest = sig.manifest
    lines = _lines(manifest)
    _check_parties(consignor=manifest.consignor, carrier=manifest.carrier, receiver=manifest.receiver)
    _check_lines(
        lines=[LineInput(line.waste_code, line.source_facility, line.declared_quantity_t) for line in lines],
        waste_class=manifest.waste_class,
        consignor=manifest.consignor,
    )
    today = timezone.localdate(sig.at)
    check_parties_active(manifest.consignor, manifest.carrier, manifest.receiver)
    check_road_transport_permit(carrier=manifest.carrier, on=today)
    _check_receiver_covers(manifest, lines, today)
    fields = ["number", "is_cross_province"]
    manifest.is_cross_province = _is_cross_province(manifest.consignor, manifest.receiver)
    if rules.needs_transfer_approval(waste_class=manifest.waste_class, is_cross_province=manifest.is_cross_province):
        total = sum((line.declared_quantity_t for line in lines), ZERO)
        codes = {line.waste_code_id for line in lines}
        if manifest.approval is None:
            manifest.approval = find_approval(
                consignor=manifest.consignor,
                receiver=manifest.receiver,
                waste_code_id=next(iter(codes)),
                quantity_t=total,
                on=today,
            )
            fields.append("approval")
        if manifest.approval is None:
            raise RuleViolation(
                f"A cross-province transfer of {manifest.waste_class} waste needs a valid transfer approval for "
                f"{total} t from {manifest.consignor.name} to {manifest.receiver.name}; none is on file.",
                code="approval_missing",
            )
        check_approval(
            approval=manifest.approval,
            consignor=manifest.consignor,
            receiver=manifest.receiver,
            codes=codes,
            quantity_t=total,
            on=today,
        )
    division = manifest.consignor.park.division
    manifest.number = allocate_number(city_code=division.code, year=today.year)
    _log(sig, action="submit", actor=actor, comment=comment, source=source)
    return _finish(sig, stamp="submitted_at", fields=tuple(fields))


@transaction.atomic
def pickup_manifest(
    *,
    manifest: Manifest,
    actor: User,
    vehicle_plate: str,
    driver: User | None = None,
    comment: str = "",
    source: str = Source.WEB,
) -> Manifest:
    """The carrier signs for the load: it leaves the consignor's stock and uses up the approval."""
    sig = _begin(manifest=manifest, actor=actor, action="pickup")
    manifest = sig.manifest
    plate = (vehicle_plate or "").strip()
    if not plate or len(plate) > 16:
        raise RuleViolation(
            _("The vehicle plate is required (at most 16 characters)."),
            code="vehicle_plate_required",
            fields={"vehicle_plate": ["Required."]},
        )
    driver = driver or (actor if "driver" in _roles(actor, manifest.carrier) else None)
    if (
        driver is not None
        and not EnterpriseMembership.objects.filter(
            user=driver, enterprise=manifest.carrier, role__in=rules.PARTY_ROLES[Party.CARRIER]
        ).exists()
    ):
        raise RuleViolation(
            _("%(driver)s does not drive for %(manifest_carrier_name)s.")
            % {"driver": driver, "manifest_carrier_name": manifest.carrier.name},
            code="driver_not_of_carrier",
            fields={"driver": ["Choose a driver of the carrier."]},
        )
    if RevisionRequest.objects.filter(manifest=manifest, status=RevisionStatus.PENDING).exists():
        raise RuleViolation(
            _("A revision of this manifest is awaiting approval; settle it before the load is picked up."),
            code="revision_pending",
        )
    today = timezone.localdate(sig.at)
    check_parties_active(manifest.consignor, manifest.carrier, manifest.receiver)
    check_road_transport_permit(carrier=manifest.carrier, on=today)
    lines = _lines(manifest)
    # A consistent lock order (facility, code) keeps two pickups from the same stock from deadlocking.
    for line in sorted(lines, key=lambda item: (item.source_facility_id, item.waste_code_id, item.line_no)):
        post_entry(
            enterprise=manifest.consignor,
            facility=line.source_facility,
            waste_code=line.waste_code,
            stage=LedgerStage.SHIPPED,
            quantity_t=line.declared_quantity_t,
            occurred_at=sig.at,
            recorded_by=actor,
            batch_code=line.batch_code,
            manifest_line=line,
            note=f"manifest {manifest.number}",
            source=source,
        )
    if manifest.approval_id is not None:
        _use_approval(manifest=manifest, lines=lines, on=today)
    manifest.vehicle_plate = plate
    manifest.driver = driver
    _log(sig, action="pickup", actor=actor, comment=comment, source=source)
    return _finish(sig, stamp="picked_up_at", fields=("vehicle_plate", "driver"))


def _roles(user: User, enterprise: Enterprise) -> frozenset[str]:
    from registry.tenancy import scope_of

    return scope_of(user).roles_on(enterprise.pk)


def _use_approval(*, manifest: Manifest, lines: list[ManifestLine], on: date) -> None:
    # Lock the approval: two manifests shipping under it at once must not both fit in what is left.
    approval = TransferApproval.objects.select_for_update().select_related("waste_code").get(pk=manifest.approval_id)
    total = sum((line.declared_quantity_t for line in lines), ZERO)
    check_approval(
        approval=approval,
        consignor=manifest.consignor,
        receiver=manifest.receiver,
        codes={line.waste_code_id for line in lines},
        quantity_t=total,
        on=on,
    )
    approval.quantity_used_t = approval.quantity_used_t + total
    approval.save(update_fields=["quantity_used_t"])


def _book_return(*, manifest: Manifest, line: ManifestLine, quantity_t: Decimal, at, actor: User, source: str) -> None:
    """A refused load goes back to the consignor: it re-enters the stock it was shipped from."""
    post_entry(
        enterprise=manifest.consignor,
        facility=line.source_facility,
        waste_code=line.waste_code,
        stage=LedgerStage.RECEIVED,
        quantity_t=quantity_t,
        occurred_at=at,
        recorded_by=actor,
        batch_code=line.batch_code,
        manifest_line=line,
        note=f"returned: refused by {manifest.receiver.name} on manifest {manifest.number}",
        source=source,
    )


@transaction.atomic
def receive_manifest(
    *, manifest: Manifest, actor: User, lines: list[ReceiptInput], comment: str = "", source: str = Source.WEB
) -> Manifest:
    """The receiver weighs and accepts each line. Accepted tonnes enter its stock; refused tonnes go back
    to the consignor's; a difference beyond the tolerance is a discrepancy and the consignor is told."""
    sig = _begin(manifest=manifest, actor=actor, action="receive")
    manifest = sig.manifest
    by_no = {line.line_no: line for line in _lines(manifest)}
    given = [item.line_no for item in lines]
    if sorted(given) != sorted(by_no):
        raise RuleViolation(
            _("Give the receipt of every line exactly once: lines %(sorted_by_no)s, got %(sorted_given)s.")
            % {"sorted_by_no": sorted(by_no), "sorted_given": sorted(given)},
            code="receipt_lines_mismatch",
            fields={"lines": ["One entry per manifest line."]},
        )
    today = timezone.localdate(sig.at)
    check_parties_active(manifest.consignor, manifest.carrier, manifest.receiver)
    tolerance = settings.QUANTITY_TOLERANCE
    prepared = []
    for item in lines:
        line = by_no[item.line_no]
        field = f"lines[{item.line_no}]"
        received = check_quantity(item.received_quantity_t, field=f"{field}.received_quantity_t", allow_zero=True)
        if item.acceptance == Acceptance.ACCEPTED:
            accepted = received
            if received == 0:
                raise RuleViolation(
                    _("Line %(item_line_no)s: nothing received cannot be accepted; mark it rejected with a reason.")
                    % {"item_line_no": item.line_no},
                    code="invalid_acceptance",
                )
        elif item.acceptance == Acceptance.PARTIALLY_REJECTED:
            if item.accepted_quantity_t is None:
                raise RuleViolation(
                    _("Line %(item_line_no)s: a partial rejection states the accepted quantity.")
                    % {"item_line_no": item.line_no},
                    code="invalid_acceptance",
                    fields={f"{field}.accepted_quantity_t": ["Required."]},
                )
            accepted = check_quantity(item.accepted_quantity_t, field=f"{field}.accepted_quantity_t")
            if accepted >= received:
                raise RuleViolation(
                    _("Line %(item_line_no)s: accepted %(accepted)s t must be less than received %(received)s t.")
                    % {"item_line_no": item.line_no, "accepted": accepted, "received": received},
                    code="invalid_acceptance",
                )
        elif item.acceptance == Acceptance.REJECTED:
            accepted = ZERO
        else:
            raise RuleViolation(
                _("Unknown acceptance %(item_acceptance)r.") % {"item_acceptance": item.acceptance},
                code="invalid_acceptance",
            )
        if item.acceptance != Acceptance.ACCEPTED and not item.rejection_reason.strip():
            raise RuleViolation(
                _("Line %(item_line_no)s: give the reason for the rejection.") % {"item_line_no": item.line_no},
                code="rejection_reason_required",
                fields={f"{field}.rejection_reason": ["Required."]},
            )
        if item.facility.enterprise_id != manifest.receiver_id:
            raise RuleViolation(
                _(
                    "Line %(item_line_no)s: facility %(item_facility_name)s does not belong to "
                    "%(manifest_receiver_name)s."
                )
                % {
                    "item_line_no": item.line_no,
                    "item_facility_name": item.facility.name,
                    "manifest_receiver_name": manifest.receiver.name,
                },
                code="facility_not_of_enterprise",
            )
        if accepted > 0:
            check_receiver_permit(
                receiver=manifest.receiver,
                waste_code=line.waste_code,
                waste_class=manifest.waste_class,
                on=today,
                method_kinds=rules.PURPOSE_METHOD_KINDS[manifest.purpose],
            )
        prepared.append((line, item, received, accepted))
    if all(accepted == 0 for *_rest, accepted in prepared):
        raise RuleViolation(
            _("Every line is refused: reject the whole load instead, so it goes back on record."),
            code="whole_load_rejected",
        )

    discrepancies = []
    for line, item, received, accepted in sorted(prepared, key=lambda p: (p[1].facility.pk, p[0].waste_code_id)):
        line.received_quantity_t = received
        line.accepted_quantity_t = accepted
        line.acceptance = item.acceptance
        line.rejection_reason = item.rejection_reason.strip()
        line.receiving_facility = item.facility
        line.is_discrepancy = rules.is_discrepancy(
            declared=line.declared_quantity_t, received=received, tolerance=tolerance
        )
        line.save(
            update_fields=[
                "received_quantity_t",
                "accepted_quantity_t",
                "acceptance",
                "rejection_reason",
                "receiving_facility",
                "is_discrepancy",
            ]
        )
        if accepted > 0:
            post_entry(
                enterprise=manifest.receiver,
                facility=item.facility,
                waste_code=line.waste_code,
                stage=LedgerStage.RECEIVED,
                quantity_t=accepted,
                occurred_at=sig.at,
                recorded_by=actor,
                batch_code=line.batch_code,
                manifest_line=line,
                note=f"manifest {manifest.number}",
                source=source,
            )
        if received > accepted:
            _book_return(
                manifest=manifest, line=line, quantity_t=received - accepted, at=sig.at, actor=actor, source=source
            )
        if line.is_discrepancy:
            discrepancies.append(
                {
                    "line_no": line.line_no,
                    "waste_code": line.waste_code.code,
                    "declared_t": line.declared_quantity_t,
                    "received_t": received,
                    "deviation_pct": rules.deviation_pct(declared=line.declared_quantity_t, received=received),
                }
            )
    manifest.has_discrepancy = bool(discrepancies)
    _log(sig, action="receive", actor=actor, comment=comment, source=source)
    manifest = _finish(sig, stamp="received_at", fields=("has_discrepancy",))
    if discrepancies:
        notify_discrepancy_on_commit(manifest=manifest, lines=discrepancies, tolerance=tolerance)
    return manifest


@transaction.atomic
def treat_manifest(
    *, manifest: Manifest, actor: User, lines: list[TreatmentInput], comment: str = "", source: str = Source.WEB
) -> Manifest:
    """The receiver records the method and quantity per accepted line; the manifest is complete.

    Utilization and disposal take the treated tonnes out of the receiver's stock; storage (S1) leaves
    them there. What is not treated stays in the receiver's stock.
    """
    sig = _begin(manifest=manifest, actor=actor, action="treat")
    manifest = sig.manifest
    by_no = {line.line_no: line for line in _lines(manifest)}
    expected = sorted(no for no, line in by_no.items() if (line.accepted_quantity_t or ZERO) > 0)
    given = sorted(item.line_no for item in lines)
    if given != expected:
        raise RuleViolation(
            _("Record the treatment of every accepted line exactly once: lines %(expected)s, got %(given)s.")
            % {"expected": expected, "given": given},
            code="treatment_lines_mismatch",
            fields={"lines": ["One entry per accepted line."]},
        )
    today = timezone.localdate(sig.at)
    check_parties_active(manifest.receiver)
    allowed_kinds = rules.PURPOSE_METHOD_KINDS[manifest.purpose]
    for item in sorted(lines, key=lambda i: i.line_no):
        line = by_no[item.line_no]
        quantity = check_quantity(item.quantity_t, field=f"lines[{item.line_no}].quantity_t")
        if quantity > line.accepted_quantity_t:
            raise RuleViolation(
                _(
                    "Line %(item_line_no)s: %(quantity)s t treated is more than the %(line_accepted_quantity_t)s t "
                    "accepted."
                )
                % {
                    "item_line_no": item.line_no,
                    "quantity": quantity,
                    "line_accepted_quantity_t": line.accepted_quantity_t,
                },
                code="treated_exceeds_accepted",
            )
        if item.method.kind not in allowed_kinds:
            raise RuleViolation(
                f"Line {item.line_no}: method {item.method.code} ({item.method.kind}) does not serve the manifest's "
                f"purpose, {manifest.purpose}.",
                code="method_not_for_purpose",
            )
        check_treatment_capacity(
            receiver=manifest.receiver,
            waste_code=line.waste_code,
            waste_class=manifest.waste_class,
            method=item.method,
            quantity_t=quantity,
            on=today,
        )
        stage = rules.METHOD_KIND_STAGE.get(item.method.kind)
        if stage is not None:
            post_entry(
                enterprise=manifest.receiver,
                facility=line.receiving_facility,
                waste_code=line.waste_code,
                stage=stage,
                quantity_t=quantity,
                occurred_at=sig.at,
                recorded_by=actor,
                batch_code=line.batch_code,
                manifest_line=line,
                method=item.method,
                note=f"manifest {manifest.number}",
                source=source,
            )
        line.treatment_method = item.method
        line.treated_quantity_t = quantity
        line.treated_at = sig.at
        line.save(update_fields=["treatment_method", "treated_quantity_t", "treated_at"])
    _log(sig, action="treat", actor=actor, comment=comment, source=source)
    return _finish(sig, stamp="completed_at")


@transaction.atomic
def cancel_manifest(*, manifest: Manifest, actor: User, reason: str = "", source: str = Source.WEB) -> Manifest:
    """The consignor withdraws a manifest before pickup. A submitted one needs a reason; its number
    stays used (numbers are never reissued)."""
    sig = _begin(manifest=manifest, actor=actor, action="cancel")
    if sig.from_status != S.DRAFT and not reason.strip():
        raise RuleViolation(
            _("Give the reason for cancelling a signed manifest."),
            code="reason_required",
            fields={"reason": ["Required."]},
        )
    sig.manifest.reason = reason.strip()
    _log(sig, action="cancel", actor=actor, comment=reason, source=source)
    return _finish(sig, stamp="cancelled_at", fields=("reason",))


@transaction.atomic
def reject_manifest(*, manifest: Manifest, actor: User, reason: str, source: str = Source.WEB) -> Manifest:
    """The receiver refuses the whole load. It goes back to the consignor's stock; sending it elsewhere
    takes a new manifest."""
    sig = _begin(manifest=manifest, actor=actor, action="reject")
    manifest = sig.manifest
    if not reason.strip():
        raise RuleViolation(
            "Give the reason for rejecting the load.", code="reason_required", fields={"reason": ["Required."]}
        )
    for line in sorted(_lines(manifest), key=lambda item: (item.source_facility_id, item.waste_code_id)):
        _book_return(
            manifest=manifest, line=line, quantity_t=line.declared_quantity_t, at=sig.at, actor=actor, source=source
        )
        line.acceptance = Acceptance.REJECTED
        line.rejection_reason = reason.strip()
        line.save(update_fields=["acceptance", "rejection_reason"])
    manifest.reason = reason.strip()
    _log(sig, action="reject", actor=actor, comment=reason, source=source)
    return _finish(sig, stamp="rejected_at", fields=("reason",))
