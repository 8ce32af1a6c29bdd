"""Corrections of a signed manifest: one party proposes, the other parties approve or refuse.

A signature freezes what its signer answers for, so nothing signed is edited in place. Approved changes
are applied in the transaction of the last approval; the request keeps the old and new values and the
manifest's history keeps both versions.

The receiver corrects what it received, accepted and treated the same way, and only the receiver; the
consignor decides (rules.revision_deciders). The approval re-books the line on the ledger: the entries the
old figures stood for are reversed and the new ones posted at the receipt's and the treatment's own times,
so both parties' stock and monthly reports read as if the corrected figures had been signed.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from registry.models import Enterprise, ManagementMethod, User
from registry.tenancy import scope_of
from wasteparks.bounds import PLAN
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed

from .. import rules
from ..models import (
    TREATMENT_STAGES,
    Acceptance,
    LedgerStage,
    ManifestAction,
    ManifestEvent,
    ManifestLine,
    ManifestStatus,
    PackagingType,
    Party,
    PhysicalForm,
    RevisionDecision,
    RevisionRequest,
    RevisionStatus,
    Source,
)
from ..models import Manifest as ManifestModel
from ..signals import send_manifest_changed
from .capacity import check_receipt_capacity
from .common import acting_role, check_treatment_capacity, lock_manifest
from .ledger import check_stock_to_ship, rebook_manifest_line
from .manifests import receipt_bookings, treatment_bookings

# The ledger stages a receipt correction re-books on its line (the shipment stays as picked up).
REBOOKED_STAGES = frozenset({LedgerStage.RECEIVED, *TREATMENT_STAGES})


def _invalid(message: str, field: str) -> RuleViolation:
    return RuleViolation(message, code="invalid_revision", fields={field: [message]})


def _clean_value(name: str, value, field: str):
    """Validate one proposed value and return it in its JSON form."""
    if name == "vehicle_plate":
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > 16:
            raise _invalid(_("A vehicle plate has 1 to 16 characters."), field)
        return value.strip()
    if name == "planned_date":
        try:
            parsed = value if isinstance(value, date) else parse_date(str(value))
        except ValueError:  # well formed but not a day (2025-02-30)
            parsed = None
        if parsed is None:
            raise _invalid(_("Use a date such as 2025-03-01."), field)
        problem = PLAN.problem(parsed)
        if problem:
            raise _invalid(problem, field)
        return parsed.isoformat()
    if name == "packaging_type":
        if value not in PackagingType.values:
            raise _invalid(_("Choose one of %(values)s.") % {"values": ", ".join(PackagingType.values)}, field)
        return value
    if name == "physical_form":
        if value not in PhysicalForm.values:
            raise _invalid(_("Choose one of %(values)s.") % {"values": ", ".join(PhysicalForm.values)}, field)
        return value
    if name == "packaging_count":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _invalid(_("The number of packages is a whole number of at least 1."), field)
        return value
    if name in ("hazard", "batch_code"):
        limit = 20 if name == "hazard" else 64
        if not isinstance(value, str) or len(value) > limit:
            raise _invalid(_("At most %(limit)s characters.") % {"limit": limit}, field)
        return value.strip()
    if name == "declared_quantity_t":
        return str(rules.check_quantity(value, field=field))
    raise _invalid(_("%(name)s cannot be revised.") % {"name": name}, field)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, ManagementMethod):
        return value.code
    return value


def _party_of(
    actor: User, manifest: ManifestModel, party: str | None, *, receiver_first: bool = False
) -> tuple[str, Enterprise, str]:
    """The party `actor` acts for (the one named, or the first it may sign for: the receiver first when the
    receiver's figures are corrected) and its role."""
    order = [Party.RECEIVER, Party.CONSIGNOR, Party.CARRIER] if receiver_first else list(Party.values)
    candidates = [party] if party else order
    scope = scope_of(actor)
    for name in candidates:
        enterprise = manifest.party_enterprise(name)
        if not scope.read_only and scope.roles_on(enterprise.pk) & rules.PARTY_ROLES[name]:
            role = acting_role(actor=actor, enterprise=enterprise, allowed=rules.PARTY_ROLES[name], action="revise")
            return name, enterprise, role
    raise NotPermitted(_("Only a signing member of one of the manifest's parties may do this."), code="wrong_party")


def _log(*, manifest, action, actor, enterprise, party, role, comment, source, at) -> None:
    ManifestEvent.objects.create(
        manifest=manifest,
        action=action,
        from_status=manifest.status,
        to_status=manifest.status,
        actor=actor,
        acting_enterprise=enterprise,
        party=party,
        role=role,
        comment=comment,
        source=source,
        at=at,
    )


def _method(value) -> ManagementMethod | None:
    """The catalogue's active method of code `value` (as typed or stored in a revision), or None."""
    if not isinstance(value, str):
        return None
    return ManagementMethod.objects.active().filter(code=value.strip()).first()


def _receipt_correction(manifest: ManifestModel, line: ManifestLine, given: dict) -> rules.ReceiptFigures:
    """The line's figures after the receiver's correction, checked against the rules of the receipt and
    the treatment and against the receiver's permit and its annual capacity."""
    method = _method(given.get("treatment_method"))
    after = rules.corrected_receipt(line, status=manifest.status, purpose=manifest.purpose, given=given, method=method)
    before = rules.ReceiptFigures.of(line)
    accepted_more = (after.accepted_t or Decimal("0")) - (before.accepted_t or Decimal("0"))
    if accepted_more > 0 and manifest.received_at is not None:
        # What this correction adds to the year's receipts must fit the licence, as at the receipt itself.
        check_receipt_capacity(
            manifest=manifest, accepted=[(line, accepted_more)], on=timezone.localdate(manifest.received_at)
        )
    if after.treated_t is not None and after.method is not None:
        # What this correction adds to the year's treatment with its method must fit the licence.
        same_method = before.method is not None and before.method.pk == after.method.pk
        added = after.treated_t - (before.treated_t or Decimal("0")) if same_method else after.treated_t
        if added > 0:
            assert line.treated_at is not None  # a treated line carries its time
            check_treatment_capacity(
                receiver=manifest.receiver,
                waste_code=line.waste_code,
                waste_class=manifest.waste_class,
                method=after.method,
                quantity_t=added,
                on=timezone.localdate(line.treated_at),
            )
    return after


_FIGURE_FIELDS = {
    "received_quantity_t": "received_t",
    "accepted_quantity_t": "accepted_t",
    "treated_quantity_t": "treated_t",
    "treatment_method": "method",
}


def _same(one: dict, other: dict) -> bool:
    """Two sets of receiver figures in their JSON form are equal (quantities compared as numbers)."""

    def number(value):
        try:
            return Decimal(value) if isinstance(value, str) and value[:1].isdigit() else value
        except ArithmeticError:
            return value

    return one.keys() == other.keys() and all(number(one[name]) == number(other[name]) for name in one)


def _changed_figures(before: rules.ReceiptFigures, after: rules.ReceiptFigures) -> tuple[dict, dict]:
    """The receiver fields that differ, as ({field: new}, {field: old}) in their JSON form."""
    new, old = {}, {}
    for name, attribute in _FIGURE_FIELDS.items():
        if getattr(after, attribute) != getattr(before, attribute):
            new[name] = _json(getattr(after, attribute))
            old[name] = _json(getattr(before, attribute))
    return new, old


@transaction.atomic
def propose_revision(
    *,
    manifest: ManifestModel,
    actor: User,
    changes: dict,
    reason: str,
    party: str | None = None,
    source: str = Source.WEB,
) -> RevisionRequest:
    """`changes` is {"manifest": {field: value}, "lines": {line_no: {field: value}}}."""
    manifest = lock_manifest(manifest)
    party, enterprise, role = _party_of(actor, manifest, party, receiver_first=rules.corrects_receiver_figures(changes))
    rules.MANIFEST_FLOW.check(ManifestAction.REVISION_PROPOSED, manifest.status)
    if not reason.strip():
        raise RuleViolation(
            _("Give the reason for the revision."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    if (
        not isinstance(changes, dict)
        or set(changes) - {"manifest", "lines"}
        or not all(isinstance(changes.get(part) or {}, dict) for part in ("manifest", "lines"))
    ):
        raise _invalid('Changes are {"manifest": {...}, "lines": {"<line>": {...}}}.', "changes")
    if manifest.revisions.filter(status=RevisionStatus.PENDING).exists():
        raise TransitionNotAllowed(
            _("Another revision of this manifest is awaiting approval."), code="revision_pending"
        )

    new: dict = {"manifest": {}, "lines": {}}
    old: dict = {"manifest": {}, "lines": {}}
    for name, value in (changes.get("manifest") or {}).items():
        if name not in rules.REVISABLE_MANIFEST_FIELDS:
            raise _invalid(_("%(name)s cannot be revised.") % {"name": name}, f"manifest.{name}")
        new["manifest"][name] = _clean_value(name, value, f"manifest.{name}")
        old["manifest"][name] = _json(getattr(manifest, name))
    lines = {
        str(line.line_no): line
        for line in manifest.lines.select_related("waste_code", "treatment_method", "receiving_facility")
    }
    for line_no, fields in (changes.get("lines") or {}).items():
        line = lines.get(str(line_no))
        if line is None or not isinstance(fields, dict):
            raise _invalid(_("Line %(line)s is not on this manifest.") % {"line": line_no}, f"lines.{line_no}")
        receipt = {name: value for name, value in fields.items() if name in rules.RECEIVER_LINE_FIELDS}
        if receipt:
            if party != Party.RECEIVER:
                raise NotPermitted(
                    _("Only the receiver corrects what it received, accepted and treated."),
                    code="receiver_figures_only",
                    fields={f"lines.{line_no}.{next(iter(receipt))}": [_("The receiver's figure.")]},
                )
            after = _receipt_correction(manifest, line, receipt)
            new_figures, old_figures = _changed_figures(rules.ReceiptFigures.of(line), after)
            new["lines"].setdefault(str(line_no), {}).update(new_figures)
            old["lines"].setdefault(str(line_no), {}).update(old_figures)
        for name, value in fields.items():
            field = f"lines.{line_no}.{name}"
            if name in rules.RECEIVER_LINE_FIELDS:
                continue
            if name not in rules.REVISABLE_LINE_FIELDS:
                raise _invalid(_("%(name)s cannot be revised.") % {"name": name}, field)
            if name in rules.LINE_FIELDS_FIXED_AFTER_PICKUP and manifest.status != ManifestStatus.SUBMITTED:
                raise RuleViolation(
                    _("%(name)s has already moved stock; correct it with a ledger entry, not a revision.")
                    % {"name": name},
                    code="field_fixed_after_pickup",
                    fields={field: [_("Fixed after pickup.")]},
                )
            new["lines"].setdefault(str(line_no), {})[name] = _clean_value(name, value, field)
            old["lines"].setdefault(str(line_no), {})[name] = _json(getattr(line, name))
    if not new["manifest"] and not new["lines"]:
        raise _invalid(_("Name at least one field to change."), "changes")

    now = timezone.now()
    revision = RevisionRequest.objects.create(
        manifest=manifest,
        proposed_by=actor,
        proposing_enterprise=enterprise,
        proposing_party=party,
        changes=new,
        previous=old,
        reason=reason.strip(),
    )
    _log(
        manifest=manifest,
        action=ManifestAction.REVISION_PROPOSED,
        actor=actor,
        enterprise=enterprise,
        party=party,
        role=role,
        comment=reason.strip(),
        source=source,
        at=now,
    )
    if not rules.revision_deciders(manifest, proposing_enterprise_id=enterprise.pk, changes=new):
        _apply(revision, manifest, now, source=source)
    send_manifest_changed(manifest_id=manifest.pk, action=ManifestAction.REVISION_PROPOSED)
    return revision


@transaction.atomic
def decide_revision(
    *,
    revision: RevisionRequest,
    actor: User,
    approve: bool,
    comment: str = "",
    party: str | None = None,
    source: str = Source.WEB,
) -> RevisionRequest:
    """Another party approves or refuses. One refusal refuses; the last approval applies the changes."""
    # Lock order: manifest, then revision, as everywhere else the manifest is locked first.
    manifest = lock_manifest(revision.manifest)
    revision = RevisionRequest.objects.select_for_update().get(pk=revision.pk)
    action = ManifestAction.REVISION_APPROVED if approve else ManifestAction.REVISION_REFUSED
    # A decided revision is refused for its status (409) before asking who decides: once approved or
    # refused, no party has a decision left to give.
    rules.REVISION_FLOW.check(action, revision.status)
    required = rules.revision_deciders(
        manifest, proposing_enterprise_id=revision.proposing_enterprise_id, changes=revision.changes
    )
    decided = set(revision.decisions.values_list("party", flat=True))
    open_parties = [name for name in required if name not in decided]
    if party is None:
        scope = scope_of(actor)
        party = next(
            (
                name
                for name in open_parties
                if not scope.read_only and scope.roles_on(manifest.party_id(name)) & rules.PARTY_ROLES[name]
            ),
            None,
        )
    if party is None or party not in required:
        raise NotPermitted(
            _("Only a signing member of another party than the proposer may decide this revision."),
            code="wrong_party",
        )
    enterprise = manifest.party_enterprise(party)
    role = acting_role(actor=actor, enterprise=enterprise, allowed=rules.PARTY_ROLES[party], action="decide")
    if party in decided:
        raise TransitionNotAllowed(
            _("The %(party)s has already decided on this revision.") % {"party": party}, code="already_decided"
        )
    now = timezone.now()
    RevisionDecision.objects.create(
        revision=revision,
        party=party,
        enterprise=enterprise,
        decided_by=actor,
        decision=RevisionDecision.APPROVE if approve else RevisionDecision.REFUSE,
        comment=comment.strip(),
        at=now,
    )
    _log(
        manifest=manifest,
        action=action,
        actor=actor,
        enterprise=enterprise,
        party=party,
        role=role,
        comment=comment.strip(),
        source=source,
        at=now,
    )
    if not approve:
        revision.status = RevisionStatus.REFUSED
        revision.decided_at = now
        revision.save(update_fields=["status", "decided_at"])
    elif set(required) <= decided | {party}:
        _apply(revision, manifest, now, source=source)
    else:
        # The decisions so far are part of the request's row (/api/v1/revision-requests/): move it forward.
        revision.save(update_fields=[])
    send_manifest_changed(manifest_id=manifest.pk, action=action)
    return revision


def _apply(revision: RevisionRequest, manifest: ManifestModel, now, *, source: str) -> None:
    if "declared_quantity_t" in str(revision.changes.get("lines")) and manifest.status != ManifestStatus.SUBMITTED:
        raise TransitionNotAllowed(
            _("The load was picked up while this revision waited; declared quantities can no longer change."),
            code="revision_outdated",
        )
    manifest_changes = revision.changes.get("manifest") or {}
    for name, value in manifest_changes.items():
        setattr(manifest, name, parse_date(value) if name == "planned_date" else value)
    if manifest_changes:
        manifest._change_reason = f"revision {revision.pk}: {revision.reason}"
        manifest.save(update_fields=list(manifest_changes))
    lines = ManifestLine.objects.filter(
        manifest=manifest, line_no__in=[int(n) for n in revision.changes["lines"]]
    ).select_related("waste_code", "source_facility", "receiving_facility", "treatment_method")
    for line in lines:
        fields = dict(revision.changes["lines"][str(line.line_no)])
        receipt = {name: fields.pop(name) for name in list(fields) if name in rules.RECEIVER_LINE_FIELDS}
        for name, value in fields.items():
            setattr(line, name, Decimal(value) if name == "declared_quantity_t" else value)
        line._change_reason = f"revision {revision.pk}: {revision.reason}"
        line.save(update_fields=list(fields))
        if receipt:
            _apply_receipt_correction(revision, manifest, line, receipt, source=source)
    if "declared_quantity_t" in str(revision.changes.get("lines")):
        # More declared than before must still be in the consignor's stock, as at the signature.
        check_stock_to_ship(
            consignor=manifest.consignor,
            manifest_id=manifest.pk,
            lines=manifest.lines.select_related("waste_code", "source_facility"),
        )
    if any(fields.keys() & rules.RECEIPT_FIELDS for fields in revision.changes["lines"].values()):
        manifest.has_discrepancy = manifest.lines.filter(is_discrepancy=True).exists()
        manifest.save(update_fields=["has_discrepancy"])
    if not manifest_changes:
        manifest.save(update_fields=["updated_at"])  # a mirror must see the manifest changed
    revision.status = RevisionStatus.APPROVED
    revision.decided_at = now
    revision.save(update_fields=["status", "decided_at"])


def _apply_receipt_correction(
    revision: RevisionRequest, manifest: ManifestModel, line: ManifestLine, receipt: dict, *, source: str
) -> None:
    """Write the receiver's corrected figures on the line and re-book its receipt and treatment entries."""
    # The figures are computed again from the line as it is now: if it changed while the revision waited
    # (the treatment was recorded since), they are no longer the ones the consignor approved.
    before = rules.ReceiptFigures.of(line)
    try:
        after = _receipt_correction(manifest, line, receipt)
    except RuleViolation as refusal:
        raise TransitionNotAllowed(
            _("The line changed while this revision waited and it no longer applies: %(why)s")
            % {"why": refusal.message},
            code="revision_outdated",
        ) from refusal
    new, old = _changed_figures(before, after)
    previous = revision.previous["lines"].get(str(line.line_no), {})
    if not (_same(new, receipt) and _same(old, {name: previous.get(name) for name in receipt})):
        raise TransitionNotAllowed(
            _("Line %(line)s changed while this revision waited; propose the correction again.")
            % {"line": line.line_no},
            code="revision_outdated",
        )
    line.received_quantity_t = after.received_t
    line.accepted_quantity_t = after.accepted_t
    line.acceptance = after.acceptance
    if after.acceptance != Acceptance.ACCEPTED and not line.rejection_reason.strip():
        line.rejection_reason = revision.reason
    line.treated_quantity_t = after.treated_t
    line.treatment_method = after.method
    line.is_discrepancy = rules.is_discrepancy(
        declared=line.declared_quantity_t, received=after.received_t, tolerance=settings.QUANTITY_TOLERANCE
    )
    line._change_reason = f"revision {revision.pk}: {revision.reason}"
    line.save(
        update_fields=[
            "received_quantity_t",
            "accepted_quantity_t",
            "acceptance",
            "rejection_reason",
            "treated_quantity_t",
            "treatment_method",
            "is_discrepancy",
        ]
    )
    assert manifest.received_at is not None  # corrected_receipt refuses a line whose receipt is not signed
    wanted = receipt_bookings(manifest=manifest, line=line, at=manifest.received_at)
    if line.treated_at is not None:
        wanted += treatment_bookings(manifest=manifest, line=line, at=line.treated_at)
    rebook_manifest_line(
        line=line,
        stages=REBOOKED_STAGES,
        wanted=wanted,
        actor=revision.proposed_by,
        reason=f"revision {revision.pk}: {revision.reason}",
        source=source,
    )
