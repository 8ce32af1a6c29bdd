"""Early-warning rules about manifests: overdue loads, quantity discrepancies, acceptance outside the
receiver's permit and shipments beyond a cross-province approval.

These are the manifest-scoped rules: a transfer signature re-evaluates them for its one manifest.
"""

import logging
from datetime import date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from registry.models import PermitLine, TransferApproval
from transfers.models import Manifest, ManifestLine, ManifestStatus
from wasteparks.periods import day_start, local_date, zone
from wasteparks.workdays import CalendarNotCovered, add_working_days, subtract_working_days

from ..models.thresholds import ThresholdKey
from ..models.utilization import rate_pct
from ..models.warnings import Severity
from .base import CENT, HUNDRED, LICENCE_KINDS, SHIPPED_STATUSES, TONNES, ZERO, Finding, Rule, text

K = ThresholdKey
logger = logging.getLogger(__name__)


class ManifestOverdue(Rule):
    """In transit longer than the consignor's park allows, or received and not confirmed within the
    receiver's park's working days (counted as wasteparks/workdays.py says). While the holiday calendar
    cannot count them, the confirmations are not checked and their live warnings stand (logged as an
    error); the in-transit check goes on."""

    code = "MANIFEST_OVERDUE"
    manifest_scoped = True
    message_zh = "联单 {number} {what_zh}：已 {days} 天（期限 {limit} {unit_zh}）。"
    message_en = "Manifest {number} {what_en}: {days} days (limit {limit} {unit_en})."

    def findings(self, ctx):
        thresholds = ctx.thresholds
        result = []
        fields = ("pk", "number", "picked_up_at", "received_at", "consignor_id", "consignor__park_id", "receiver_id")
        in_transit = (
            self._manifests(ctx)
            .in_transit()
            .filter(picked_up_at__lt=ctx.now - timedelta(days=thresholds.smallest(K.TRANSIT_DAYS)))
        )
        for row in in_transit.values(*fields, "receiver__park_id"):
            transit_days = thresholds.for_park(row["consignor__park_id"])[K.TRANSIT_DAYS]
            if row["picked_up_at"] >= ctx.now - timedelta(days=transit_days):
                continue
            days = (ctx.now - row["picked_up_at"]).days
            result.append(
                Finding(
                    dedup_key=self.key("transit", row["pk"]),
                    park_id=row["consignor__park_id"],
                    enterprise_id=row["consignor_id"],
                    manifest_id=row["pk"],
                    params={
                        "number": row["number"],
                        "what_zh": "运输超时",
                        "what_en": "is overdue in transit",
                        "days": days,
                        "limit": transit_days,
                        "unit_zh": "天",
                        "unit_en": "days",
                    },
                    evidence={
                        "picked_up_at": text(row["picked_up_at"]),
                        "days_in_transit": days,
                        "limit_days": transit_days,
                    },
                )
            )
        limits = (thresholds.smallest(K.CONFIRM_WORKING_DAYS), thresholds.largest(K.CONFIRM_WORKING_DAYS))
        try:
            # The largest limit counts furthest back: once it is counted, every limit in force can be.
            cutoffs = {working_days: confirmation_cutoff(ctx.today, working_days) for working_days in limits}
        except CalendarNotCovered as error:
            logger.error("MANIFEST_OVERDUE: receipt confirmations not checked on %s: %s", ctx.today, error)
            return result

        def cutoff(working_days: int) -> datetime:
            if working_days not in cutoffs:
                cutoffs[working_days] = confirmation_cutoff(ctx.today, working_days)
            return cutoffs[working_days]

        unconfirmed = self._manifests(ctx).filter(
            status=ManifestStatus.RECEIVED,
            received_at__lt=cutoff(limits[0]),
        )
        for row in unconfirmed.values(*fields, "receiver__park_id"):
            confirm_days = thresholds.for_park(row["receiver__park_id"])[K.CONFIRM_WORKING_DAYS]
            if row["received_at"] >= cutoff(confirm_days):
                continue
            days = (ctx.now - row["received_at"]).days
            try:
                confirm_by: date | None = add_working_days(local_date(row["received_at"]), confirm_days)
            except CalendarNotCovered:
                confirm_by = None  # received before the calendar's first year: overdue all the same
            result.append(
                Finding(
                    dedup_key=self.key("confirm", row["pk"]),
                    park_id=row["receiver__park_id"],
                    enterprise_id=row["receiver_id"],
                    manifest_id=row["pk"],
                    params={
                        "number": row["number"],
                        "what_zh": "接收后未确认处置",
                        "what_en": "was received but not confirmed",
                        "days": days,
                        "limit": confirm_days,
                        "unit_zh": "个工作日",
                        "unit_en": "working days",
                    },
                    evidence={
                        "received_at": text(row["received_at"]),
                        "days_since_receipt": days,
                        "limit_working_days": confirm_days,
                        "confirm_by": text(confirm_by),
                    },
                )
            )
        return result

    def closing_scope(self, ctx):
        scope = super().closing_scope(ctx)
        try:
            confirmation_cutoff(ctx.today, ctx.thresholds.largest(K.CONFIRM_WORKING_DAYS))
        except CalendarNotCovered:
            # findings() did not check the confirmations: their live warnings are not this run's to close.
            scope &= ~Q(dedup_key__startswith=self.key("confirm", ""))
        return scope


def confirmation_cutoff(today: date, working_days: int) -> datetime:
    """Receipts before this instant are past their confirmation deadline on `today`: the
    `working_days`-th working day after the day of receipt is over (wasteparks/workdays.py, Transfer
    Measures art. 18). Raises CalendarNotCovered when the calendar cannot count back from `today`."""
    return day_start(subtract_working_days(today, working_days))


class QuantityDiscrepancy(Rule):
    """A received quantity further from the declared one than the consignor's park's tolerance."""

    code = "QUANTITY_DISCREPANCY"
    manifest_scoped = True
    message_zh = (
        "联单 {number} 第 {line} 行 {code}：申报 {declared} 吨，实收 {received} 吨，"
        "偏差 {deviation}%（容差 {tolerance}%）。"
    )
    message_en = (
        "Manifest {number} line {line} ({code}): declared {declared} t, received {received} t, "
        "a {deviation}% difference (tolerance {tolerance}%)."
    )

    def findings(self, ctx):
        thresholds = ctx.thresholds
        loosest = thresholds.smallest(K.QUANTITY_TOLERANCE)
        lines = ManifestLine.objects.filter(
            manifest__in=self._manifests(ctx), received_quantity_t__isnull=False
        ).filter(
            Q(received_quantity_t__gt=F("declared_quantity_t") * (1 + loosest))
            | Q(received_quantity_t__lt=F("declared_quantity_t") * (1 - loosest))
        )
        result = []
        for row in lines.values(
            "pk",
            "line_no",
            "manifest_id",
            "manifest__number",
            "manifest__consignor_id",
            "manifest__consignor__park_id",
            "waste_code__code",
            "declared_quantity_t",
            "received_quantity_t",
        ):
            declared, received = row["declared_quantity_t"], row["received_quantity_t"]
            tolerance = thresholds.for_park(row["manifest__consignor__park_id"])[K.QUANTITY_TOLERANCE]
            if declared * (1 - tolerance) <= received <= declared * (1 + tolerance):
                continue
            deviation = rate_pct(received - declared, declared).quantize(CENT)
            result.append(
                Finding(
                    dedup_key=self.key("line", row["pk"]),
                    park_id=row["manifest__consignor__park_id"],
                    enterprise_id=row["manifest__consignor_id"],
                    manifest_id=row["manifest_id"],
                    params={
                        "number": row["manifest__number"],
                        "line": row["line_no"],
                        "code": row["waste_code__code"],
                        "declared": declared,
                        "received": received,
                        "deviation": deviation,
                        "tolerance": tolerance * HUNDRED,
                    },
                    evidence={
                        "line_no": row["line_no"],
                        "waste_code": row["waste_code__code"],
                        "declared_t": text(declared),
                        "received_t": text(received),
                        "deviation_pct": text(deviation),
                        "tolerance_pct": text(tolerance * HUNDRED),
                    },
                )
            )
        return result


class PermitNotCovering(Rule):
    code = "PERMIT_NOT_COVERING"
    severity = Severity.CRITICAL
    manifest_scoped = True
    message_zh = "{receiver} 于 {date} 接收了联单 {number} 的 {code}（{method}），但其许可证当日不涵盖。"
    message_en = (
        "{receiver} accepted {code} ({method}) on manifest {number} on {date}, which its permit did not cover "
        "on that day."
    )

    def findings(self, ctx):
        lines = (
            ManifestLine.objects.filter(
                manifest__in=self._manifests(ctx),
                accepted_quantity_t__gt=0,
                manifest__received_at__isnull=False,
                manifest__waste_class__in=("hazardous", "medical"),
            )
            .annotate(received_on=TruncDate("manifest__received_at", tzinfo=zone()))
            .annotate(
                code_covered=Exists(self._permit_lines()),
                method_covered=Exists(self._permit_lines().filter(method=OuterRef("treatment_method"))),
            )
            .filter(Q(code_covered=False) | (Q(treatment_method__isnull=False) & Q(method_covered=False)))
        )
        result = []
        for row in lines.values(
            "pk",
            "line_no",
            "manifest_id",
            "manifest__number",
            "manifest__receiver_id",
            "manifest__receiver__name",
            "manifest__receiver__park_id",
            "waste_code__code",
            "treatment_method__code",
            "received_on",
            "accepted_quantity_t",
            "code_covered",
        ):
            result.append(
                Finding(
                    dedup_key=self.key("line", row["pk"]),
                    park_id=row["manifest__receiver__park_id"],
                    enterprise_id=row["manifest__receiver_id"],
                    manifest_id=row["manifest_id"],
                    params={
                        "receiver": row["manifest__receiver__name"],
                        "date": row["received_on"],
                        "number": row["manifest__number"],
                        "code": row["waste_code__code"],
                        "method": row["treatment_method__code"] or "-",
                    },
                    evidence={
                        "line_no": row["line_no"],
                        "waste_code": row["waste_code__code"],
                        "method": row["treatment_method__code"],
                        "received_on": text(row["received_on"]),
                        "accepted_t": text(row["accepted_quantity_t"]),
                        "code_covered": row["code_covered"],
                    },
                )
            )
        return result

    @staticmethod
    def _permit_lines():
        # Valid on the day of receipt: a licence revoked after the load arrived still covered it.
        # Never an application, an unverified record or a refusal (PermitLineQuerySet.ever_in_force).
        return (
            PermitLine.objects.covering(OuterRef("waste_code"), OuterRef("waste_code__category"))
            .ever_in_force()
            .filter(
                Q(permit__revoked_at__isnull=True) | Q(permit__revoked_at__gt=OuterRef("manifest__received_at")),
                permit__enterprise=OuterRef("manifest__receiver"),
                permit__kind__in=LICENCE_KINDS,
                permit__valid_from__lte=OuterRef("received_on"),
                permit__valid_to__gte=OuterRef("received_on"),
            )
        )


class ApprovalExceeded(Rule):
    code = "APPROVAL_EXCEEDED"
    severity = Severity.CRITICAL
    manifest_scoped = True
    message_zh = "跨省转移批准 {approval}：{detail_zh}"
    message_en = "Cross-province transfer approval {approval}: {detail_en}"

    def closing_scope(self, ctx):
        if ctx.manifest_id is None:
            return Q()
        approval_id = Manifest.objects.filter(pk=ctx.manifest_id).values_list("approval_id", flat=True).first()
        return Q(approval_id=approval_id) if approval_id else Q(pk__in=[])

    def findings(self, ctx):
        approvals = TransferApproval.objects.all()
        if ctx.manifest_id is not None:
            approvals = approvals.filter(manifests=ctx.manifest_id)
        shipped = (
            ManifestLine.objects.filter(
                manifest__approval=OuterRef("pk"),
                manifest__status__in=SHIPPED_STATUSES,
                waste_code=OuterRef("waste_code"),
            )
            .order_by()
            .values("manifest__approval")
            .annotate(total=Sum("declared_quantity_t"))
            .values("total")
        )
        over = approvals.annotate(
            shipped=Coalesce(Subquery(shipped, output_field=TONNES), Value(ZERO, output_field=TONNES))
        ).filter(shipped__gt=F("approved_quantity_t"))
        result = []
        for row in over.values("pk", "number", "consignor_id", "consignor__park_id", "approved_quantity_t", "shipped"):
            shipped, approved = text(row["shipped"]), text(row["approved_quantity_t"])
            result.append(
                Finding(
                    dedup_key=self.key("quantity", row["pk"]),
                    park_id=row["consignor__park_id"],
                    enterprise_id=row["consignor_id"],
                    approval_id=row["pk"],
                    params={
                        "approval": row["number"],
                        "detail_zh": f"已转移 {shipped} 吨，超过批准的 {approved} 吨。",
                        "detail_en": f"{shipped} t shipped, beyond the {approved} t approved.",
                    },
                    evidence={"approved_t": text(row["approved_quantity_t"]), "shipped_t": text(row["shipped"])},
                )
            )
        manifests = (
            self._manifests(ctx)
            .filter(approval__isnull=False, picked_up_at__isnull=False)
            .annotate(picked_up_on=TruncDate("picked_up_at", tzinfo=zone()))
            .filter(Q(picked_up_on__gt=F("approval__valid_to")) | Q(picked_up_on__lt=F("approval__valid_from")))
        )
        for row in manifests.values(
            "pk",
            "number",
            "approval_id",
            "approval__number",
            "approval__valid_from",
            "approval__valid_to",
            "picked_up_on",
            "consignor_id",
            "consignor__park_id",
        ):
            result.append(
                Finding(
                    dedup_key=self.key("validity", row["pk"]),
                    park_id=row["consignor__park_id"],
                    enterprise_id=row["consignor_id"],
                    manifest_id=row["pk"],
                    approval_id=row["approval_id"],
                    params={
                        "approval": row["approval__number"],
                        "detail_zh": f"联单 {row['number']} 于 {text(row['picked_up_on'])} 起运，不在批准有效期 "
                        f"{text(row['approval__valid_from'])} 至 {text(row['approval__valid_to'])} 内。",
                        "detail_en": f"manifest {row['number']} was picked up on {text(row['picked_up_on'])}, outside "
                        f"its validity {text(row['approval__valid_from'])} to {text(row['approval__valid_to'])}.",
                    },
                    evidence={
                        "manifest": row["number"],
                        "picked_up_on": text(row["picked_up_on"]),
                        "valid_from": text(row["approval__valid_from"]),
                        "valid_to": text(row["approval__valid_to"]),
                    },
                )
            )
        return result
