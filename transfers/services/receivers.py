"""Which receivers a consignor may legally send a waste code to on a day: the question the manifest form's
receiver choice, the exchange's matching and the officers' opportunities all ask.

A receiver is legal when it is active and, for the waste's class:

- hazardous and medical waste: a licence line of a receiving permit kind (rules.RECEIVER_PERMIT_KINDS),
  in force on the day, covers the code (or its category), with room left in the line's licensed year
  (capacity.with_received_in_year: what counts against a line is counted there and only there);
- general industrial solid waste: no licence is needed, so no capacity is known (remaining_t None);
- a receiver in another province: a transfer approval in force for consignor -> receiver and this code,
  with tonnes left (what submit_manifest looks for with find_approval); for general waste leaving for
  utilization a filing in force instead (check_filing), for storage or disposal an approval.

The room offered is the licensed annual scale minus what the line already received this year. The
receipt check tolerates up to 20 % beyond the scale with a warning (capacity.py); a receiver is not
offered for loads that would take it beyond its licensed scale at all.

Evaluated in a fixed number of queries whatever the number of receivers.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext as _

from registry.models import (
    Enterprise,
    MethodKind,
    PermitLine,
    TransferApproval,
    TransferFiling,
    WasteClass,
    WasteCode,
)

from .. import rules
from .capacity import with_received_in_year

ZERO = Decimal("0")
ALL_KINDS = frozenset({MethodKind.UTILIZATION, MethodKind.DISPOSAL, MethodKind.STORAGE})


@dataclass(frozen=True)
class ReceiverOption:
    """A receiver the consignor may name for the code on the day, with what its licence allows.

    `method_kinds`: the kinds of method (utilization, disposal, storage) its covering lines in force allow
    with room left, which are also the manifest purposes it may be sent for. `remaining_t`: the largest
    room left this year on one covering line (None where no licence is needed); `remaining_by_kind` the
    same per kind. `approvals`: the numbers of the cross-province approvals in force that allow it."""

    enterprise: Enterprise
    method_kinds: frozenset[str]
    remaining_t: Decimal | None
    permit_numbers: tuple[str, ...]
    remaining_by_kind: dict[str, Decimal] = field(default_factory=dict, compare=False)
    is_cross_province: bool = False
    approval_numbers: tuple[str, ...] = ()


def _province(enterprise: Enterprise) -> str:
    return enterprise.park.division.province_code


def approvals_in_force(*, consignor_id: int, waste_code_id: int, on: date):
    """Approvals in force on `on` for the consignor and the code, the earliest ending first: the order in
    which submit_manifest uses them (find_approval)."""
    return (
        TransferApproval.objects.valid_on(on)
        .filter(consignor_id=consignor_id, waste_code_id=waste_code_id)
        .order_by("valid_to", "pk")
    )


def licence_lines_in_force(*, waste_class: str, day: date, receiver_ids: list[int] | None = None):
    """The receiving licence lines of active receivers in force on `day` for a waste class, annotated with
    `received_t` (what already counts against each in its licensed year) and `room_t` (what is left). Narrow
    them with `.covering(code)` or by method; the exchange's offers read the same lines as the manifest form."""
    lines = PermitLine.objects.filter(
        permit__kind__in=rules.RECEIVER_PERMIT_KINDS[waste_class],
        permit__enterprise__status="active",
        permit__enterprise__is_receiver=True,
    )
    if receiver_ids is not None:
        lines = lines.filter(permit__enterprise_id__in=receiver_ids)
    return (
        with_received_in_year(lines.in_force_on(day), on=day)
        .annotate(room_t=F("annual_capacity_t") - F("received_t"))
        .select_related("permit", "method")
    )


def _licensed_room(*, waste_code: WasteCode, day: date, receiver_ids: list[int] | None) -> dict[int, dict]:
    """Per receiver: {kind: largest room on one covering line of that kind}, and its permit numbers."""
    annotated = licence_lines_in_force(waste_class=waste_code.waste_class, day=day, receiver_ids=receiver_ids)
    room: dict[int, dict] = defaultdict(lambda: {"kinds": {}, "permits": set()})
    for line in annotated.covering(waste_code):
        left = line.room_t
        held = room[line.permit.enterprise_id]
        kind = line.method.kind
        held["kinds"][kind] = max(held["kinds"].get(kind, left), left)
        held["permits"].add(line.permit.number)
    return room


def legal_receivers(
    *,
    consignor: Enterprise,
    waste_code: WasteCode,
    day: date,
    quantity: Decimal | None = None,
    receiver_ids: list[int] | None = None,
) -> list[ReceiverOption]:
    """The receivers `consignor` may send `waste_code` to on `day` (for `quantity` tonnes when given), by
    name. `receiver_ids` narrows the question to those receivers (a form checking its choice)."""
    needed = quantity if quantity is not None else ZERO
    licensed = rules.needs_operating_licence(waste_code.waste_class)
    candidates = Enterprise.objects.active().receivers().select_related("park__division").exclude(pk=consignor.pk)
    if receiver_ids is not None:
        candidates = candidates.filter(pk__in=receiver_ids)
    room = _licensed_room(waste_code=waste_code, day=day, receiver_ids=receiver_ids) if licensed else {}
    if licensed:
        candidates = candidates.filter(pk__in=list(room))
    home = Enterprise.objects.select_related("park__division").get(pk=consignor.pk)
    approvals: dict[int, list[TransferApproval]] = defaultdict(list)
    for approval in approvals_in_force(consignor_id=consignor.pk, waste_code_id=waste_code.pk, on=day):
        if approval.remaining_t > 0 and approval.remaining_t >= needed:
            approvals[approval.receiver_id].append(approval)
    filed = set()
    if waste_code.waste_class == WasteClass.GENERAL:
        filed = set(
            TransferFiling.objects.valid_on(day)
            .filter(consignor_id=consignor.pk, waste_code_id=waste_code.pk)
            .values_list("receiver_id", flat=True)
        )

    options = []
    for receiver in candidates.order_by("name"):
        crossing = _province(receiver) != _province(home)
        if licensed:
            by_kind = {k: v for k, v in room[receiver.pk]["kinds"].items() if v > 0 and v >= needed}
            kinds = frozenset(by_kind)
        else:
            by_kind, kinds = {}, ALL_KINDS
        if crossing:
            allowed = set()
            for kind in kinds:
                # A manifest's purpose and a method kind share their values.
                by_filing = rules.needs_transfer_filing(
                    waste_class=waste_code.waste_class, is_cross_province=True, purpose=kind
                )
                if (by_filing and receiver.pk in filed) or (not by_filing and approvals.get(receiver.pk)):
                    allowed.add(kind)
            kinds = frozenset(allowed)
            by_kind = {k: v for k, v in by_kind.items() if k in kinds}
        if not kinds:
            continue
        options.append(
            ReceiverOption(
                enterprise=receiver,
                method_kinds=kinds,
                remaining_t=max(by_kind.values()) if by_kind else None,
                permit_numbers=tuple(sorted(room[receiver.pk]["permits"])) if licensed else (),
                remaining_by_kind=by_kind,
                is_cross_province=crossing,
                approval_numbers=tuple(a.number for a in approvals.get(receiver.pk, ())) if crossing else (),
            )
        )
    return options


def receiver_refusal(
    *,
    consignor: Enterprise,
    receiver: Enterprise,
    waste_code: WasteCode,
    purpose: str,
    day: date,
    quantity: Decimal | None = None,
) -> str | None:
    """Why `consignor` may not send `quantity` t of `waste_code` to `receiver` for `purpose` on `day`, in
    words for the receiver field; None when it may. Asks legal_receivers, then only for the reason."""
    options = legal_receivers(
        consignor=consignor, waste_code=waste_code, day=day, quantity=quantity, receiver_ids=[receiver.pk]
    )
    if options and purpose in options[0].method_kinds:
        return None
    values = {"name": receiver.name, "code": waste_code.code, "day": day, "purpose": purpose}
    if not Enterprise.objects.active().receivers().filter(pk=receiver.pk).exists():
        return _("%(name)s is not an active receiver.") % values
    if options:
        return _("%(name)s may not take %(code)s for %(purpose)s on %(day)s.") % values
    if rules.needs_operating_licence(waste_code.waste_class):
        room = _licensed_room(waste_code=waste_code, day=day, receiver_ids=[receiver.pk]).get(receiver.pk)
        if room is None:
            return _("%(name)s holds no licence in force on %(day)s covering %(code)s.") % values
        if max(room["kinds"].values()) <= (quantity or ZERO):
            return _("%(name)s has no licensed annual capacity left for %(code)s for this quantity.") % values
    return (
        _("%(name)s is in another province and no transfer approval or filing in force on %(day)s covers %(code)s.")
        % values
    )
