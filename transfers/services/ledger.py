"""The waste ledger: entries and the stock balances kept in step with them; moves between an enterprise's own
stores; reversing entries; the stock a manifest may ship; and re-booking a manifest line whose figures a
revision corrected."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Enterprise, Facility, ManagementMethod, User, WasteClass, WasteCode
from wasteparks.bounds import EVENT
from wasteparks.errors import RuleViolation, TransitionNotAllowed

from .. import rules
from ..models import (
    INFLOW_STAGES,
    MOVE_STAGES,
    OUTFLOW_STAGES,
    LedgerEntry,
    LedgerStage,
    ManifestLine,
    ManifestStatus,
    Party,
    Source,
    StockBalance,
)
from .common import acting_role

ZERO = Decimal("0")


def post_entry(
    *,
    enterprise: Enterprise,
    facility: Facility,
    waste_code: WasteCode,
    stage: str,
    quantity_t: Decimal,
    occurred_at: datetime,
    recorded_by: User,
    batch_code: str = "",
    manifest_line: ManifestLine | None = None,
    method: ManagementMethod | None = None,
    note: str = "",
    source: str = Source.WEB,
    move: uuid.UUID | None = None,
    stock_since: datetime | None = None,
) -> LedgerEntry:
    """Write one entry and move its stock balance. Runs inside the caller's transaction; the caller has
    checked who may do this. A withdrawal beyond what is on hand raises RuleViolation(insufficient_stock).
    """
    if facility.enterprise_id != enterprise.pk:
        raise RuleViolation(
            _("Facility %(facility)s does not belong to %(enterprise)s.")
            % {"facility": facility.name, "enterprise": enterprise.name},
            code="facility_not_of_enterprise",
            fields={"facility": [_("Choose one of the enterprise's own facilities.")]},
        )
    key = {"enterprise_id": enterprise.pk, "facility_id": facility.pk, "waste_code_id": waste_code.pk}
    if stage in INFLOW_STAGES:
        # The first tonne of a key creates its balance; ON CONFLICT DO NOTHING makes that race-safe.
        StockBalance.objects.bulk_create([StockBalance(**key)], ignore_conflicts=True)
    # Lock first: two withdrawals from the same stock must see each other's result, not both the
    # quantity that was there before either of them.
    balance = StockBalance.objects.select_for_update().filter(**key).first()
    on_hand = balance.quantity_t if balance else ZERO
    if stage in OUTFLOW_STAGES:
        if balance is None or quantity_t > on_hand:
            raise RuleViolation(
                _(
                    "Not enough stock: %(requested)s t of %(code)s requested from %(facility)s of %(enterprise)s, "
                    "but only %(on_hand)s t is on hand."
                )
                % {
                    "requested": quantity_t,
                    "code": waste_code.code,
                    "facility": facility.name,
                    "enterprise": enterprise.name,
                    "on_hand": on_hand,
                },
                code="insufficient_stock",
                fields={"quantity_t": [_("At most %(on_hand)s t is on hand.") % {"on_hand": on_hand}]},
            )
        balance.quantity_t = on_hand - quantity_t
        balance.total_out_t += quantity_t
    else:
        assert balance is not None  # an inflow created its balance above if there was none
        balance.quantity_t = on_hand + quantity_t
        balance.total_in_t += quantity_t
    balance.save(update_fields=["quantity_t", "total_in_t", "total_out_t"])
    return LedgerEntry.objects.create(
        enterprise=enterprise,
        facility=facility,
        waste_code=waste_code,
        stage=stage,
        quantity_t=quantity_t,
        occurred_at=occurred_at,
        recorded_by=recorded_by,
        batch_code=batch_code,
        manifest_line=manifest_line,
        method=method,
        note=note,
        source=source,
        move=move,
        stock_since=stock_since,
    )


def check_facility_holds(*, facility: Facility, waste_code: WasteCode, field: str) -> None:
    """Waste enters only a facility made for its class (Facility.may_hold): hazardous waste is refused by a
    general-waste yard, anything but medical waste by a cold store. `field` names the input to blame."""
    if facility.may_hold(waste_code.waste_class):
        return
    values = {
        "facility": facility.name,
        "kind": facility.kind_label,
        "waste_class": WasteClass(waste_code.waste_class).label,
        "code": waste_code.code,
    }
    raise RuleViolation(
        _("Facility %(facility)s is a %(kind)s, which may not hold %(waste_class)s (%(code)s).") % values,
        code="facility_not_for_waste_class",
        fields={field: [_("Choose a facility made for %(waste_class)s.") % values]},
    )


@transaction.atomic
def record_ledger_entry(
    *,
    actor: User,
    enterprise: Enterprise,
    facility: Facility,
    waste_code: WasteCode,
    stage: str,
    quantity_t: Decimal,
    occurred_at: datetime | None = None,
    batch_code: str = "",
    method: ManagementMethod | None = None,
    note: str = "",
    source: str = Source.WEB,
) -> LedgerEntry:
    """An enterprise records generation or in-house treatment by hand.

    Shipments and receipts are refused here: they come only from manifest signatures. So are the two legs
    of a move between stores: a move is recorded whole, by move_stock.
    """
    acting_role(actor=actor, enterprise=enterprise, allowed=rules.PARTY_ROLES[Party.CONSIGNOR], action="record")
    if stage in MOVE_STAGES:
        raise RuleViolation(
            _(
                "Waste moved between the enterprise's own stores is recorded as one move (out of one store, "
                "into another), not as a single entry."
            ),
            code="stage_not_manual",
            fields={"stage": [_("Record a move between stores instead.")]},
        )
    if stage not in rules.MANUAL_STAGES:
        raise RuleViolation(
            _("Stage %(stage)r cannot be recorded by hand; shipments and receipts come from manifest signatures.")
            % {"stage": stage},
            code="stage_not_manual",
            fields={"stage": [_("Choose one of: %(stages)s.") % {"stages": ", ".join(sorted(rules.MANUAL_STAGES))}]},
        )
    rules.check_quantity(quantity_t, field="quantity_t")
    # What happened lies in the EVENT window: not before 2000, not in the future beyond clock skew.
    occurred_at = occurred_at or timezone.now()
    rules.check_in_window(occurred_at, EVENT, field="occurred_at")
    if not waste_code.active:
        raise RuleViolation(
            _("Waste code %(code)s is no longer in the catalogue.") % {"code": waste_code.code}, code="code_inactive"
        )
    expected_kind = rules.STAGE_METHOD_KIND.get(stage)
    if expected_kind is None and method is not None:
        method = None  # only treatment stages carry a method
    if expected_kind is not None:
        if method is None:
            raise RuleViolation(
                _("Utilization and disposal name the management method."),
                code="method_required",
                fields={"method": [_("Required for this stage.")]},
            )
        if method.kind != expected_kind:
            raise RuleViolation(
                _("Method %(method)s is a %(kind)s method; stage %(stage)s needs a %(expected)s method.")
                % {"method": method.code, "kind": method.kind, "stage": stage, "expected": expected_kind},
                code="method_kind_mismatch",
                fields={"method": [_("Choose a %(expected)s method.") % {"expected": expected_kind}]},
            )
    if not facility.active:
        raise RuleViolation(
            _("Facility %(facility)s is not active.") % {"facility": facility.name}, code="facility_inactive"
        )
    if stage in INFLOW_STAGES:
        check_facility_holds(facility=facility, waste_code=waste_code, field="facility")
    return post_entry(
        enterprise=enterprise,
        facility=facility,
        waste_code=waste_code,
        stage=stage,
        quantity_t=Decimal(quantity_t),
        occurred_at=occurred_at,
        recorded_by=actor,
        batch_code=batch_code,
        method=method,
        note=note,
        source=source,
    )


@dataclass(frozen=True)
class Move:
    """A move as written: its id, the leg out of the source store and the legs into the destination."""

    id: uuid.UUID
    out: LedgerEntry
    into: list[LedgerEntry]


REASON_MAX_LENGTH = 300  # a reason is kept in its entry's note


def _lock_balances(*, enterprise: Enterprise, waste_code: WasteCode, facilities: Iterable[Facility]) -> None:
    """Lock the balances of several facilities in one order (by facility): two moves between the same two
    stores in opposite directions must wait for each other, not deadlock."""
    ids = sorted({facility.pk for facility in facilities})
    list(
        StockBalance.objects.select_for_update()
        .filter(enterprise=enterprise, waste_code=waste_code, facility_id__in=ids)
        .order_by("facility_id")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def move_stock(
    *,
    actor: User,
    enterprise: Enterprise,
    from_facility: Facility,
    to_facility: Facility,
    waste_code: WasteCode,
    quantity_t: Decimal,
    occurred_at: datetime | None = None,
    reason: str = "",
    source: str = Source.WEB,
) -> Move:
    """An enterprise moves waste from one of its stores into another: one action, both legs in one transaction.

    The leg out of the source (stored_out) and the legs into the destination (stored_in) share one move id,
    so the enterprise's stock and its monthly report do not change, only where the waste lies. The tonnes
    moved are the oldest at the source (first in, first out), and each incoming leg keeps when its tonnes
    first came into stock: moving waste between two stores does not restart its one-year storage clock.
    Refused: a store of another enterprise, the same store twice, more than the source holds.
    """
    acting_role(actor=actor, enterprise=enterprise, allowed=rules.PARTY_ROLES[Party.CONSIGNOR], action="move")
    if from_facility.enterprise_id != enterprise.pk or to_facility.enterprise_id != enterprise.pk:
        # Neither store is named: one of them may be another enterprise's.
        raise RuleViolation(
            _("Both stores of a move must belong to the enterprise."),
            code="facility_not_of_enterprise",
            fields={"to_facility": [_("Choose one of the enterprise's own facilities.")]},
        )
    if from_facility.pk == to_facility.pk:
        raise RuleViolation(
            _("A move goes from one store into another; choose two different stores."),
            code="same_facility",
            fields={"to_facility": [_("Choose another store than the one the waste leaves.")]},
        )
    if not to_facility.active:
        raise RuleViolation(
            _("Facility %(facility)s is not active.") % {"facility": to_facility.name},
            code="facility_inactive",
            fields={"to_facility": [_("Choose an active facility.")]},
        )
    check_facility_holds(facility=to_facility, waste_code=waste_code, field="to_facility")
    quantity_t = rules.check_quantity(quantity_t, field="quantity_t")
    occurred_at = occurred_at or timezone.now()
    rules.check_in_window(occurred_at, EVENT, field="occurred_at")
    note = reason.strip()[:REASON_MAX_LENGTH]
    # The destination's balance exists before the locks are taken, so both are locked in one go.
    StockBalance.objects.bulk_create(
        [StockBalance(enterprise=enterprise, facility=to_facility, waste_code=waste_code)], ignore_conflicts=True
    )
    _lock_balances(enterprise=enterprise, waste_code=waste_code, facilities=[from_facility, to_facility])
    move = uuid.uuid4()
    # Which tonnes leave is read before the out leg takes them (it refuses more than is on hand).
    source_balance = StockBalance.objects.filter(
        enterprise=enterprise, facility=from_facility, waste_code=waste_code
    ).first()
    batches = LedgerEntry.objects.batches_on_hand(
        enterprise_id=enterprise.pk,
        facility_id=from_facility.pk,
        waste_code_id=waste_code.pk,
        total_out_t=source_balance.total_out_t if source_balance else ZERO,
    )

    def leg(facility: Facility, stage: str, tonnes: Decimal, since: datetime | None = None) -> LedgerEntry:
        return post_entry(
            enterprise=enterprise,
            facility=facility,
            waste_code=waste_code,
            stage=stage,
            quantity_t=tonnes,
            occurred_at=occurred_at,
            recorded_by=actor,
            note=note,
            source=source,
            move=move,
            stock_since=since,
        )

    out = leg(from_facility, LedgerStage.STORED_OUT, quantity_t)
    into = [
        leg(to_facility, LedgerStage.STORED_IN, tonnes, since) for since, tonnes in _oldest_first(batches, quantity_t)
    ]
    return Move(id=move, out=out, into=into)


def _oldest_first(batches: list[tuple[datetime, Decimal]], quantity_t: Decimal) -> list[tuple[datetime, Decimal]]:
    """The first `quantity_t` tonnes of `batches` (oldest first), one part per time the tonnes came in."""
    taken: dict[datetime, Decimal] = {}
    left = quantity_t
    for since, tonnes in batches:
        if left <= 0:
            break
        part = min(left, tonnes)
        taken[since] = taken.get(since, ZERO) + part
        left -= part
    return list(taken.items())


@transaction.atomic
def reverse_ledger_entry(*, entry: LedgerEntry, actor: User, reason: str, source: str = Source.WEB) -> LedgerEntry:
    """Correct a wrong hand-recorded entry: write its reversing entry and move the stock back.

    The reversing entry has the original's key, stage and time and the negative of its quantity, so every
    sum over the ledger nets the pair to zero and the period the original fell in reads as if it had not
    happened (the report prefill, the stock age, the utilization snapshots). Who reversed it is its
    `recorded_by`, why is its note. Shipments and receipts come from signatures and are corrected by a
    manifest revision; a reversal is itself never reversed (record the entry again instead).
    """
    enterprise = entry.enterprise
    acting_role(actor=actor, enterprise=enterprise, allowed=rules.PARTY_ROLES[Party.CONSIGNOR], action="reverse")
    reason = reason.strip()
    if not reason:
        raise RuleViolation(
            _("Say why the entry is reversed."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    # Lock first: two clerks reversing the same entry must not both write a reversal (the one-to-one
    # column would refuse the second anyway, but with a clear message here rather than an IntegrityError).
    entry = LedgerEntry.objects.select_for_update().select_related("waste_code", "facility").get(pk=entry.pk)
    if entry.reverses_id is not None:
        raise RuleViolation(
            _("This entry is itself a reversal; record the entry again instead."), code="reversal_not_reversible"
        )
    if entry.manifest_line_id is not None:
        raise RuleViolation(
            _("Shipments and receipts come from manifest signatures; correct them by a revision of the manifest."),
            code="entry_from_manifest",
        )
    if entry.move is not None:
        raise RuleViolation(
            _("This entry is one leg of a move between stores; move the waste back instead."),
            code="entry_of_move",
        )
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise TransitionNotAllowed(_("This entry has already been reversed."), code="already_reversed")
    return _write_reversal(entry=entry, actor=actor, reason=reason, source=source)


def _write_reversal(*, entry: LedgerEntry, actor: User, reason: str, source: str) -> LedgerEntry:
    """The reversing entry of `entry`, with its stock moved back; the caller has checked it may be reversed."""
    key = {"enterprise_id": entry.enterprise_id, "facility_id": entry.facility_id, "waste_code_id": entry.waste_code_id}
    balance = StockBalance.objects.select_for_update().get(**key)
    # Undoing an inflow takes its tonnes back out of stock; undoing an outflow puts them back.
    delta = -entry.quantity_t if entry.stage in INFLOW_STAGES else entry.quantity_t
    if balance.quantity_t + delta < ZERO:
        raise RuleViolation(
            _(
                "Not enough stock to reverse this entry: %(quantity)s t of %(code)s would leave %(facility)s, "
                "but only %(on_hand)s t is on hand."
            )
            % {
                "quantity": entry.quantity_t,
                "code": entry.waste_code.code,
                "facility": entry.facility.name,
                "on_hand": balance.quantity_t,
            },
            code="insufficient_stock",
        )
    balance.quantity_t += delta
    # The totals stay the signed sums of their stage's entries, as StockBalance.objects.drifted() checks.
    if entry.stage in INFLOW_STAGES:
        balance.total_in_t -= entry.quantity_t
    else:
        balance.total_out_t -= entry.quantity_t
    balance.save(update_fields=["quantity_t", "total_in_t", "total_out_t"])
    return LedgerEntry.objects.create(
        enterprise_id=entry.enterprise_id,
        facility_id=entry.facility_id,
        waste_code_id=entry.waste_code_id,
        stage=entry.stage,
        quantity_t=-entry.quantity_t,
        occurred_at=entry.occurred_at,
        recorded_by=actor,
        batch_code=entry.batch_code,
        manifest_line_id=entry.manifest_line_id,
        method_id=entry.method_id,
        note=reason[:REASON_MAX_LENGTH],
        source=source,
        reverses=entry,
    )


# --- Stock for a manifest -------------------------------------------------------------------------------


def check_stock_to_ship(*, consignor: Enterprise, manifest_id: int, lines: Iterable[ManifestLine]) -> None:
    """The consignor holds what a manifest's lines declare, at each line's source facility, beyond what its
    other signed manifests already wait to take from there. Checked when the consignor signs, so a driver
    is not the first to find the stock missing at pickup (pickup still refuses what is no longer there).

    The balances are locked (in one order): two manifests signed at once from the same stock see each other.
    """
    wanted: dict[tuple[int, int], Decimal] = {}
    named: dict[tuple[int, int], ManifestLine] = {}
    for line in lines:
        key = (line.source_facility_id, line.waste_code_id)
        wanted[key] = wanted.get(key, ZERO) + line.declared_quantity_t
        named.setdefault(key, line)
    for key in sorted(wanted):
        facility_id, waste_code_id = key
        balance = (
            StockBalance.objects.select_for_update()
            .filter(enterprise=consignor, facility_id=facility_id, waste_code_id=waste_code_id)
            .first()
        )
        on_hand = balance.quantity_t if balance else ZERO
        pledged = (
            ManifestLine.objects.filter(
                manifest__consignor=consignor,
                manifest__status=ManifestStatus.SUBMITTED,
                source_facility_id=facility_id,
                waste_code_id=waste_code_id,
            )
            .exclude(manifest_id=manifest_id)
            .aggregate(total=Sum("declared_quantity_t"))["total"]
            or ZERO
        )
        available = on_hand - pledged
        if wanted[key] <= available:
            continue
        line = named[key]
        values = {
            "code": line.waste_code.code,
            "facility": line.source_facility.name,
            "asked": wanted[key],
            "on_hand": on_hand,
            "pledged": pledged,
            "available": max(available, ZERO),
        }
        if pledged:
            message = _(
                "Not enough stock to sign: %(asked)s t of %(code)s asked from %(facility)s, which holds "
                "%(on_hand)s t, of which %(pledged)s t is already on signed manifests waiting for pickup "
                "(%(available)s t available)."
            )
        else:
            message = _(
                "Not enough stock to sign: %(asked)s t of %(code)s asked from %(facility)s, which holds "
                "only %(on_hand)s t."
            )
        raise RuleViolation(
            message % values,
            code="insufficient_stock",
            fields={
                f"lines[{line.line_no}].declared_quantity_t": [
                    _("At most %(available)s t of %(code)s is available.") % values
                ]
            },
        )


# --- Re-booking a corrected manifest line ----------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """One entry a signed manifest line stands for on the ledger (what receive and treat post)."""

    enterprise: Enterprise
    facility: Facility
    stage: str
    quantity_t: Decimal
    occurred_at: datetime
    method: ManagementMethod | None = None
    note: str = ""

    def matches(self, entry: LedgerEntry) -> bool:
        method_id = self.method.pk if self.method else None
        return (self.enterprise.pk, self.facility.pk, self.stage, method_id, self.quantity_t) == (
            entry.enterprise_id,
            entry.facility_id,
            entry.stage,
            entry.method_id,
            entry.quantity_t,
        )


def post_booking(booking: Booking, *, line: ManifestLine, actor: User, source: str) -> LedgerEntry:
    return post_entry(
        enterprise=booking.enterprise,
        facility=booking.facility,
        waste_code=line.waste_code,
        stage=booking.stage,
        quantity_t=booking.quantity_t,
        occurred_at=booking.occurred_at,
        recorded_by=actor,
        batch_code=line.batch_code,
        manifest_line=line,
        method=booking.method,
        note=booking.note,
        source=source,
    )


def rebook_manifest_line(
    *, line: ManifestLine, stages: frozenset[str], wanted: list[Booking], actor: User, reason: str, source: str
) -> None:
    """Bring the standing entries of `stages` on a manifest line to `wanted`: every entry no longer wanted
    is reversed (a reversing entry at its own time, `reason` its note) and every wanted one not yet there is
    posted. Nothing is updated: the ledger is append-only, and the periods the entries fall in read as if
    the corrected figures had been signed in the first place. Runs in the caller's transaction.
    """
    standing = list(
        LedgerEntry.objects.standing()
        .filter(manifest_line=line, stage__in=stages)
        .select_related("waste_code", "facility")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    missing = list(wanted)
    stale = []
    for entry in standing:
        match = next((booking for booking in missing if booking.matches(entry)), None)
        if match is None:
            stale.append(entry)
        else:
            missing.remove(match)

    def reverse(entries: list[LedgerEntry]) -> None:
        for entry in entries:
            _write_reversal(entry=entry, actor=actor, reason=reason, source=source)

    def post(bookings: list[Booking]) -> None:
        for booking in bookings:
            post_booking(booking, line=line, actor=actor, source=source)

    # What adds to stock first (undone withdrawals, new receipts), then what takes from it, so no balance
    # dips below zero half way through a correction that leaves it positive.
    reverse([entry for entry in stale if entry.stage in OUTFLOW_STAGES])
    post([booking for booking in missing if booking.stage in INFLOW_STAGES])
    reverse([entry for entry in stale if entry.stage in INFLOW_STAGES])
    post([booking for booking in missing if booking.stage in OUTFLOW_STAGES])
