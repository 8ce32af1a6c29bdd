"""Manifest signatures (DESIGN 4): submit, pickup, receive, treat, cancel and reject, each one transaction.

Every transition locks the manifest row first, checks the actor signs for the right party with the
right role (403) and that the workflow allows the step from the current status (409, the one refusal
of transfers.rules.MANIFEST_FLOW), checks the rules that matter at that moment (400, naming the rule
and the numbers), writes its ledger entries and its status-log row, and announces the change in the
same transaction (transfers.signals), so what other apps queue from it commits or rolls back with it.
Any refusal rolls the whole step back.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import (
    Enterprise,
    EnterpriseRole,
    Facility,
    ManagementMethod,
    TransferApproval,
    User,
)
from registry.tenancy import scope_of
from wasteparks import outbox
from wasteparks.errors import RuleViolation

from .. import rules
from ..models import (
    Acceptance,
    LedgerStage,
    Manifest,
    ManifestAction,
    ManifestEvent,
    ManifestLine,
    RevisionRequest,
    RevisionStatus,
    Source,
)
from ..notifications import put_discrepancy_in_inboxes
from ..numbering import allocate_number
from ..signals import send_manifest_changed
from ..tasks import mail_discrepancy
from .capacity import check_receipt_capacity
from .common import (
    acting_role,
    check_approval,
    check_driver_of_carrier,
    check_filing,
    check_receiver_permit,
    check_road_transport_permit,
    check_treatment_capacity,
    find_approval,
    is_cross_province,
    lock_manifest,
)
from .containers import has_container_discrepancy, lines_missing_containers
from .drafts import LineInput
from .ledger import Booking, check_facility_holds, check_stock_to_ship, post_booking, post_entry

A = ManifestAction
ZERO = Decimal("0")


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


@dataclass
class _Signature:
    manifest: Manifest
    action: str
    enterprise: Enterprise
    party: str
    role: str
    from_status: str
    target: str
    at: datetime


def _begin(*, manifest: Manifest, actor: User, action: str) -> _Signature:
    manifest = lock_manifest(manifest)
    transition = rules.MANIFEST_FLOW[action]
    enterprise = manifest.party_enterprise(transition.actor)
    role = acting_role(actor=actor, enterprise=enterprise, allowed=transition.roles, action=action)
    rules.MANIFEST_FLOW.check(action, manifest.status)
    target = transition.target_from(manifest.status)
    return _Signature(manifest, action, enterprise, transition.actor, role, manifest.status, target, timezone.now())


def _log(sig: _Signature, *, actor: User, comment: str, source: str) -> None:
    ManifestEvent.objects.create(
        manifest=sig.manifest,
        action=sig.action,
        from_status=sig.from_status,
        to_status=sig.target,
        actor=actor,
        acting_enterprise=sig.enterprise,
        party=sig.party,
        role=sig.role,
        comment=comment.strip(),
        source=source,
        at=sig.at,
    )


def _finish(sig: _Signature, *, stamp: str, fields: tuple[str, ...] = ()) -> Manifest:
    manifest = sig.manifest
    manifest.status = sig.target
    setattr(manifest, stamp, sig.at)
    manifest.save(update_fields=["status", stamp, *fields])
    send_manifest_changed(manifest_id=manifest.pk, action=sig.action)
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
    """The consignor signs: the rules are checked (the stock of each line's source facility among them, so
    the driver does not find it missing at pickup), the number is drawn and the declared data frozen."""
    sig = _begin(manifest=manifest, actor=actor, action=A.SUBMIT)
    manifest = sig.manifest
    lines = _lines(manifest)
    rules.check_parties(consignor=manifest.consignor, carrier=manifest.carrier, receiver=manifest.receiver)
    rules.check_lines(
        lines=[LineInput(line.waste_code, line.source_facility, line.declared_quantity_t) for line in lines],
        waste_class=manifest.waste_class,
        consignor=manifest.consignor,
    )
    today = timezone.localdate(sig.at)
    rules.check_parties_active(manifest.consignor, manifest.carrier, manifest.receiver)
    check_road_transport_permit(carrier=manifest.carrier, on=today)
    _check_receiver_covers(manifest, lines, today)
    check_stock_to_ship(consignor=manifest.consignor, manifest_id=manifest.pk, lines=lines)
    fields = ["number", "is_cross_province"]
    manifest.is_cross_province = is_cross_province(manifest.consignor, manifest.receiver)
    crossing = {"waste_class": manifest.waste_class, "purpose": manifest.purpose}
    if rules.needs_transfer_filing(is_cross_province=manifest.is_cross_province, **crossing):
        check_filing(
            consignor=manifest.consignor,
            receiver=manifest.receiver,
            codes={line.waste_code_id: line.waste_code.code for line in lines},
            on=today,
        )
    if rules.needs_transfer_approval(is_cross_province=manifest.is_cross_province, **crossing):
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
                _(
                    "A cross-province transfer of %(waste_class)s waste needs a valid transfer approval for "
                    "%(total)s t from %(consignor)s to %(receiver)s; none is on file."
                )
                % {
                    "waste_class": manifest.waste_class,
                    "total": total,
                    "consignor": manifest.consignor.name,
                    "receiver": manifest.receiver.name,
                },
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
    _log(sig, actor=actor, comment=comment, source=source)
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
    sig = _begin(manifest=manifest, actor=actor, action=A.PICKUP)
    manifest = sig.manifest
    plate = rules.clean_plate(vehicle_plate)
    # A driver signing for the carrier drives the load; an administrator names the driver (or none).
    driver = driver or (actor if EnterpriseRole.DRIVER in scope_of(actor).roles_on(manifest.carrier_id) else None)
    if driver is not None:
        check_driver_of_carrier(driver=driver, carrier=manifest.carrier)
    if RevisionRequest.objects.filter(manifest=manifest, status=RevisionStatus.PENDING).exists():
        raise RuleViolation(
            _("A revision of this manifest is awaiting approval; settle it before the load is picked up."),
            code="revision_pending",
        )
    today = timezone.localdate(sig.at)
    rules.check_parties_active(manifest.consignor, manifest.carrier, manifest.receiver)
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
        _use_approval(manifest=manifest, approval_id=manifest.approval_id, lines=lines, on=today)
    manifest.vehicle_plate = plate
    manifest.driver = driver
    _log(sig, actor=actor, comment=comment, source=source)
    return _finish(sig, stamp="picked_up_at", fields=("vehicle_plate", "driver"))


def _use_approval(*, manifest: Manifest, approval_id: int, lines: list[ManifestLine], on: date) -> None:
    # Lock the approval: two manifests shipping under it at once must not both fit in what is left.
    approval = TransferApproval.objects.select_for_update().select_related("waste_code").get(pk=approval_id)
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


def _give_back_to_approval(*, approval_id: int, quantity_t: Decimal) -> None:
    """Tonnes charged to a cross-province approval at pickup that went back to the consignor (a rejected
    load or line) did not cross: the approval may carry them again."""
    if quantity_t <= 0:
        return
    approval = TransferApproval.objects.select_for_update().get(pk=approval_id)
    # Never below nothing used: an approval corrected by hand since pickup must not fail the receipt.
    approval.quantity_used_t = max(ZERO, approval.quantity_used_t - quantity_t)
    approval.save(update_fields=["quantity_used_t"])


def _return_booking(*, manifest: Manifest, line: ManifestLine, quantity_t: Decimal, at: datetime) -> Booking:
    """A refused load goes back to the consignor: it re-enters the stock it was shipped from."""
    return Booking(
        enterprise=manifest.consignor,
        facility=line.source_facility,
        stage=LedgerStage.RECEIVED,
        quantity_t=quantity_t,
        occurred_at=at,
        note=f"returned: refused by {manifest.receiver.name} on manifest {manifest.number}",
    )


def receipt_bookings(*, manifest: Manifest, line: ManifestLine, at: datetime) -> list[Booking]:
    """What a line's receipt stands for on the ledger: the accepted tonnes enter the receiver's stock at the
    facility it received them into; what it received but refused goes back into the consignor's."""
    received = line.received_quantity_t or ZERO
    accepted = line.accepted_quantity_t or ZERO
    bookings = []
    if accepted > 0:
        # A line that accepted something was received into one of the receiver's facilities.
        assert line.receiving_facility is not None
        bookings.append(
            Booking(
                enterprise=manifest.receiver,
                facility=line.receiving_facility,
                stage=LedgerStage.RECEIVED,
                quantity_t=accepted,
                occurred_at=at,
                note=f"manifest {manifest.number}",
            )
        )
    if received > accepted:
        bookings.append(_return_booking(manifest=manifest, line=line, quantity_t=received - accepted, at=at))
    return bookings


def treatment_bookings(*, manifest: Manifest, line: ManifestLine, at: datetime) -> list[Booking]:
    """What a line's treatment stands for on the ledger: utilization or disposal takes the treated tonnes
    out of the receiver's stock; storage (S1) leaves them there."""
    method = line.treatment_method
    stage = rules.METHOD_KIND_STAGE.get(method.kind) if method else None
    if stage is None or not line.treated_quantity_t:
        return []
    # Only lines that accepted something are treated, and the receipt put each into a facility.
    assert line.receiving_facility is not None
    return [
        Booking(
            enterprise=manifest.receiver,
            facility=line.receiving_facility,
            stage=stage,
            quantity_t=line.treated_quantity_t,
            occurred_at=at,
            method=method,
            note=f"manifest {manifest.number}",
        )
    ]


@transaction.atomic
def receive_manifest(
    *, manifest: Manifest, actor: User, lines: list[ReceiptInput], comment: str = "", source: str = Source.WEB
) -> Manifest:
    """The receiver weighs and accepts each line. Accepted tonnes enter its stock, within its licence's
    annual scale (capacity.check_receipt_capacity); refused tonnes go back to the consignor's and to the
    cross-province approval they were charged to; a difference beyond the tolerance is a discrepancy and
    the consignor is told."""
    sig = _begin(manifest=manifest, actor=actor, action=A.RECEIVE)
    manifest = sig.manifest
    by_no = {line.line_no: line for line in _lines(manifest)}
    rules.check_receipt_lines(line_nos=by_no, given=[item.line_no for item in lines])
    today = timezone.localdate(sig.at)
    rules.check_parties_active(manifest.consignor, manifest.carrier, manifest.receiver)
    tolerance = settings.QUANTITY_TOLERANCE
    prepared = []
    for item in lines:
        line = by_no[item.line_no]
        received, accepted = rules.receipt_quantities(item, receiver=manifest.receiver)
        if accepted > 0:
            check_receiver_permit(
                receiver=manifest.receiver,
                waste_code=line.waste_code,
                waste_class=manifest.waste_class,
                on=today,
                method_kinds=rules.PURPOSE_METHOD_KINDS[manifest.purpose],
            )
            check_facility_holds(
                facility=item.facility, waste_code=line.waste_code, field=f"lines[{item.line_no}].receiving_facility"
            )
        prepared.append((line, item, received, accepted))
    rules.check_something_accepted(accepted for *_rest, accepted in prepared)
    # At acceptance, not only at treatment: a load the licence cannot take must not enter the stock.
    check_receipt_capacity(
        manifest=manifest,
        accepted=[(line, accepted) for line, _item, _received, accepted in prepared if accepted > 0],
        on=today,
    )

    discrepancies = []
    # Labelled containers not scanned in at receipt are missing from the load: a discrepancy of their line.
    missing_containers = lines_missing_containers(manifest=manifest)
    given_back = ZERO
    for line, item, received, accepted in sorted(prepared, key=lambda p: (p[1].facility.pk, p[0].waste_code_id)):
        line.received_quantity_t = received
        line.accepted_quantity_t = accepted
        line.acceptance = item.acceptance
        line.rejection_reason = item.rejection_reason.strip()
        line.receiving_facility = item.facility
        line.is_discrepancy = rules.is_discrepancy(
            declared=line.declared_quantity_t, received=received, tolerance=tolerance
        ) or (line.pk in missing_containers)
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
        for booking in receipt_bookings(manifest=manifest, line=line, at=sig.at):
            post_booking(booking, line=line, actor=actor, source=source)
        # The approval was charged the declared tonnes; what was refused of them goes back to the consignor.
        given_back += max(ZERO, min(received, line.declared_quantity_t) - accepted)
        if line.is_discrepancy:
            discrepancies.append(line.line_no)
    if manifest.approval_id is not None:
        _give_back_to_approval(approval_id=manifest.approval_id, quantity_t=given_back)
    manifest.has_discrepancy = bool(discrepancies) or has_container_discrepancy(manifest=manifest)
    _log(sig, actor=actor, comment=comment, source=source)
    manifest = _finish(sig, stamp="received_at", fields=("has_discrepancy",))
    if discrepancies:
        # In this transaction, through the outbox: a mail server that is down never fails the receipt.
        outbox.enqueue(mail_discrepancy, manifest.pk, str(tolerance))
        put_discrepancy_in_inboxes(manifest=manifest)
    return manifest


@transaction.atomic
def treat_manifest(
    *, manifest: Manifest, actor: User, lines: list[TreatmentInput], comment: str = "", source: str = Source.WEB
) -> Manifest:
    """The receiver records the method and quantity per accepted line; the manifest is complete.

    Utilization and disposal take the treated tonnes out of the receiver's stock; storage (S1) leaves
    them there. What is not treated stays in the receiver's stock.
    """
    sig = _begin(manifest=manifest, actor=actor, action=A.TREAT)
    manifest = sig.manifest
    by_no = {line.line_no: line for line in _lines(manifest)}
    rules.check_treatment_lines(
        accepted_line_nos=[no for no, line in by_no.items() if (line.accepted_quantity_t or ZERO) > 0],
        given=[item.line_no for item in lines],
    )
    today = timezone.localdate(sig.at)
    rules.check_parties_active(manifest.receiver)
    for item in sorted(lines, key=lambda i: i.line_no):
        line = by_no[item.line_no]
        quantity = rules.treated_quantity(item, line=line, purpose=manifest.purpose)
        check_treatment_capacity(
            receiver=manifest.receiver,
            waste_code=line.waste_code,
            waste_class=manifest.waste_class,
            method=item.method,
            quantity_t=quantity,
            on=today,
        )
        line.treatment_method = item.method
        line.treated_quantity_t = quantity
        line.treated_at = sig.at
        for booking in treatment_bookings(manifest=manifest, line=line, at=sig.at):
            post_booking(booking, line=line, actor=actor, source=source)
        line.save(update_fields=["treatment_method", "treated_quantity_t", "treated_at"])
    _log(sig, actor=actor, comment=comment, source=source)
    return _finish(sig, stamp="completed_at")


@transaction.atomic
def cancel_manifest(*, manifest: Manifest, actor: User, reason: str = "", source: str = Source.WEB) -> Manifest:
    """The consignor withdraws a manifest before pickup. A submitted one needs a reason; its number
    stays used (numbers are never reissued)."""
    sig = _begin(manifest=manifest, actor=actor, action=A.CANCEL)
    rules.check_cancel_reason(from_status=sig.from_status, reason=reason)
    sig.manifest.reason = reason.strip()
    _log(sig, actor=actor, comment=reason, source=source)
    return _finish(sig, stamp="cancelled_at", fields=("reason",))


@transaction.atomic
def reject_manifest(*, manifest: Manifest, actor: User, reason: str, source: str = Source.WEB) -> Manifest:
    """The receiver refuses the whole load. It goes back to the consignor's stock, and its tonnes to the
    cross-province approval it was charged to; sending it elsewhere takes a new manifest."""
    sig = _begin(manifest=manifest, actor=actor, action=A.REJECT)
    manifest = sig.manifest
    rules.check_reject_reason(reason)
    lines = _lines(manifest)
    for line in sorted(lines, key=lambda item: (item.source_facility_id, item.waste_code_id)):
        booking = _return_booking(manifest=manifest, line=line, quantity_t=line.declared_quantity_t, at=sig.at)
        post_booking(booking, line=line, actor=actor, source=source)
        line.acceptance = Acceptance.REJECTED
        line.rejection_reason = reason.strip()
        line.save(update_fields=["acceptance", "rejection_reason"])
    if manifest.approval_id is not None:
        total = sum((line.declared_quantity_t for line in lines), ZERO)
        _give_back_to_approval(approval_id=manifest.approval_id, quantity_t=total)
    manifest.reason = reason.strip()
    _log(sig, actor=actor, comment=reason, source=source)
    return _finish(sig, stamp="rejected_at", fields=("reason",))
