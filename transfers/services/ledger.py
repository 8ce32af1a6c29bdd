"""The waste ledger: entries and the stock balances kept in step with them."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Enterprise, Facility, ManagementMethod, User, WasteCode
from wasteparks.bounds import EVENT
from wasteparks.errors import RuleViolation, TransitionNotAllowed

from .. import rules
from ..models import INFLOW_STAGES, OUTFLOW_STAGES, LedgerEntry, ManifestLine, Party, Source, StockBalance
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
    """An enterprise records generation, storage or in-house treatment by hand.

    Shipments and receipts are refused here: they come only from manifest signatures.
    """
    acting_role(actor=actor, enterprise=enterprise, allowed=rules.PARTY_ROLES[Party.CONSIGNOR], action="record")
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


REASON_MAX_LENGTH = 300  # the reason is kept in the reversing entry's note


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
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise TransitionNotAllowed(_("This entry has already been reversed."), code="already_reversed")
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
        method_id=entry.method_id,
        note=reason[:REASON_MAX_LENGTH],
        source=source,
        reverses=entry,
    )
