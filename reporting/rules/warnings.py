"""Early warnings: the rules of DESIGN 6.

Each rule is a small class: a code, a default severity, a message template in Chinese and in English,
and `findings(ctx)`, which returns what is wrong *now* as Findings (dedup key, jurisdiction, subject,
evidence, message parameters) from a few set-based queries, never one query per row. The engine
(reporting.services.warnings) turns findings into warnings and closes the warnings whose key is no
longer found. Thresholds come from settings (the "Early warnings and utilization" block) at evaluation
time. Rules whose subject is a manifest can be evaluated for one manifest (`manifest_scoped`); their
`closing_scope` says which live warnings such a run is responsible for.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from registry.models import TREATMENT_KINDS, Enterprise, Facility, Permit, PermitKind, PermitLine, TransferApproval
from transfers.models import LedgerEntry, LedgerStage, Manifest, ManifestLine, ManifestStatus, StockBalance

from ..models.warnings import Severity

ZONE = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
_TONNES = DecimalField(max_digits=14, decimal_places=4)
LICENCE_KINDS = (PermitKind.HAZARDOUS_OPERATING, PermitKind.MEDICAL_DISPOSAL)
SHIPPED_STATUSES = (
    ManifestStatus.SUBMITTED,
    ManifestStatus.IN_TRANSIT,
    ManifestStatus.RECEIVED,
    ManifestStatus.COMPLETED,
)


def text(value) -> str:
    """Evidence and message parameters are JSON: Decimals and times as strings."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.astimezone(ZONE).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


def pct(part: Decimal, whole: Decimal) -> Decimal:
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Context:
    now: datetime
    manifest_id: int | None = None

    @property
    def today(self) -> date:
        return self.now.astimezone(ZONE).date()


@dataclass
class Finding:
    dedup_key: str
    park_id: int
    params: dict
    evidence: dict
    severity: str | None = None  # None: the rule's default
    enterprise_id: int | None = None
    manifest_id: int | None = None
    permit_id: int | None = None
    facility_id: int | None = None
    approval_id: int | None = None
    report_id: int | None = None
    extra: dict = field(default_factory=dict)


class Rule:
    code: str = ""
    severity: str = Severity.WARNING
    message_zh: str = ""
    message_en: str = ""
    manifest_scoped: bool = False

    def findings(self, ctx: Context) -> list[Finding]:
        raise NotImplementedError

    def closing_scope(self, ctx: Context) -> Q:
        """The live warnings of this rule a run over `ctx` answers for (all of them in a full scan)."""
        if ctx.manifest_id is not None:
            return Q(manifest_id=ctx.manifest_id)
        return Q()

    def key(self, *parts) -> str:
        return ":".join([self.code, *(str(part) for part in parts)])

    def render(self, finding: Finding) -> tuple[str, str]:
        params = {name: text(value) for name, value in finding.params.items()}
        return self.message_zh.format(**params), self.message_en.format(**params)

    def _manifests(self, ctx: Context):
        queryset = Manifest.objects.all()
        if ctx.manifest_id is not None:
            queryset = queryset.filter(pk=ctx.manifest_id)
        return queryset


def add_working_days(day: date, count: int) -> date:
    """`count` working days (Monday to Friday) after `day`. Public holidays are not modelled."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZONE)


# --- manifests ------------------------------------------------------------------------------------


class ManifestOverdue(Rule):
    code = "MANIFEST_OVERDUE"
    manifest_scoped = True
    message_zh = "联单 {number} {what_zh}：已 {days} 天（期限 {limit} {unit_zh}）。"
    message_en = "Manifest {number} {what_en}: {days} days (limit {limit} {unit_en})."

    def findings(self, ctx):
        transit_days = settings.WARNING_TRANSIT_DAYS
        confirm_days = settings.WARNING_CONFIRM_WORKING_DAYS
        result = []
        fields = ("pk", "number", "picked_up_at", "received_at", "consignor_id", "consignor__park_id", "receiver_id")
        in_transit = self._manifests(ctx).filter(
            status=ManifestStatus.IN_TRANSIT, picked_up_at__lt=ctx.now - timedelta(days=transit_days)
        )
        for row in in_transit.values(*fields, "receiver__park_id"):
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
        # The latest receipt day whose confirmation deadline (N working days later) has passed.
        day = ctx.today - timedelta(days=1)
        while add_working_days(day, confirm_days) >= ctx.today:
            day -= timedelta(days=1)
        unconfirmed = self._manifests(ctx).filter(
            status=ManifestStatus.RECEIVED, received_at__lt=local_midnight(day + timedelta(days=1))
        )
        for row in unconfirmed.values(*fields, "receiver__park_id"):
            days = (ctx.now - row["received_at"]).days
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
                    },
                )
            )
        return result


class QuantityDiscrepancy(Rule):
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
        tolerance = settings.WARNING_QUANTITY_TOLERANCE
        lines = ManifestLine.objects.filter(
            manifest__in=self._manifests(ctx), received_quantity_t__isnull=False
        ).filter(
            Q(received_quantity_t__gt=F("declared_quantity_t") * (1 + tolerance))
            | Q(received_quantity_t__lt=F("declared_quantity_t") * (1 - tolerance))
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
            deviation = pct(received - declared, declared)
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
            .annotate(received_on=TruncDate("manifest__received_at", tzinfo=ZONE))
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
        return PermitLine.objects.filter(
            Q(waste_code=OuterRef("waste_code")) | Q(category=OuterRef("waste_code__category")),
            Q(permit__revoked_at__isnull=True) | Q(permit__revoked_at__gt=OuterRef("manifest__received_at")),
            permit__enterprise=OuterRef("manifest__receiver"),
            permit__kind__in=LICENCE_KINDS,
            permit__valid_from__lte=OuterRef("received_on"),
            permit__valid_to__gte=OuterRef("received_on"),
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
            shipped=Coalesce(Subquery(shipped, output_field=_TONNES), Value(ZERO, output_field=_TONNES))
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
            .annotate(picked_up_on=TruncDate("picked_up_at", tzinfo=ZONE))
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


# --- stock and capacity ---------------------------------------------------------------------------


class StorageOverLimit(Rule):
    code = "STORAGE_OVER_LIMIT"
    message_zh = "{enterprise} 的 {facility} 中 {code} 最早一批已贮存 {age}（期限 {limit}）。"
    message_en = "{code} at {facility} of {enterprise} has been stored for {age} (limit {limit})."

    def findings(self, ctx):
        limit_days = settings.WARNING_STORAGE_LIMIT_DAYS
        notice_days = settings.WARNING_STORAGE_NOTICE_DAYS
        medical_hours = settings.WARNING_MEDICAL_STORAGE_HOURS
        balances = (
            StockBalance.objects.on_hand()
            .with_oldest_on_hand()
            .filter(
                Q(waste_code__waste_class="hazardous", oldest_on_hand_at__lt=ctx.now - timedelta(days=notice_days))
                | Q(waste_code__waste_class="medical", oldest_on_hand_at__lt=ctx.now - timedelta(hours=medical_hours))
            )
        )
        result = []
        for row in balances.values(
            "enterprise_id",
            "enterprise__name",
            "enterprise__park_id",
            "facility_id",
            "facility__name",
            "waste_code__code",
            "waste_code__waste_class",
            "quantity_t",
            "oldest_on_hand_at",
        ):
            age = ctx.now - row["oldest_on_hand_at"]
            if row["waste_code__waste_class"] == "medical":
                severity = Severity.CRITICAL
                age_text, limit_text = f"{int(age.total_seconds() // 3600)} h", f"{medical_hours} h"
            else:
                severity = Severity.CRITICAL if age > timedelta(days=limit_days) else Severity.WARNING
                age_text, limit_text = f"{age.days} d", f"{limit_days} d"
            result.append(
                Finding(
                    dedup_key=self.key(row["facility_id"], row["waste_code__code"]),
                    park_id=row["enterprise__park_id"],
                    enterprise_id=row["enterprise_id"],
                    facility_id=row["facility_id"],
                    severity=severity,
                    params={
                        "enterprise": row["enterprise__name"],
                        "facility": row["facility__name"],
                        "code": row["waste_code__code"],
                        "age": age_text,
                        "limit": limit_text,
                    },
                    evidence={
                        "waste_code": row["waste_code__code"],
                        "on_hand_t": text(row["quantity_t"]),
                        "oldest_on_hand_at": text(row["oldest_on_hand_at"]),
                        "age_hours": int(age.total_seconds() // 3600),
                        "limit": limit_text,
                    },
                )
            )
        return result


class StorageOverCapacity(Rule):
    code = "STORAGE_OVER_CAPACITY"
    message_zh = "{enterprise} 的 {facility} 贮存 {on_hand} 吨，占容量 {capacity} 吨的 {fill}%。"
    message_en = "{facility} of {enterprise} holds {on_hand} t, {fill}% of its {capacity} t capacity."

    def findings(self, ctx):
        warning_pct = settings.WARNING_FACILITY_FILL_WARNING_PCT
        critical_pct = settings.WARNING_FACILITY_FILL_CRITICAL_PCT
        facilities = (
            Facility.objects.filter(active=True, capacity_t__gt=0)
            .exclude(kind__in=TREATMENT_KINDS)
            .annotate(on_hand=Coalesce(Sum("stock__quantity_t"), Value(ZERO, output_field=_TONNES)))
            .filter(on_hand__gt=F("capacity_t") * warning_pct / HUNDRED)
        )
        result = []
        for row in facilities.values(
            "pk", "name", "capacity_t", "on_hand", "enterprise_id", "enterprise__name", "enterprise__park_id"
        ):
            fill = pct(row["on_hand"], row["capacity_t"])
            over_critical = row["on_hand"] * HUNDRED > row["capacity_t"] * critical_pct
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"]),
                    park_id=row["enterprise__park_id"],
                    enterprise_id=row["enterprise_id"],
                    facility_id=row["pk"],
                    severity=Severity.CRITICAL if over_critical else Severity.WARNING,
                    params={
                        "enterprise": row["enterprise__name"],
                        "facility": row["name"],
                        "on_hand": row["on_hand"],
                        "capacity": row["capacity_t"],
                        "fill": fill,
                    },
                    evidence={
                        "on_hand_t": text(row["on_hand"]),
                        "capacity_t": text(row["capacity_t"]),
                        "fill_pct": text(fill),
                        "warning_pct": text(warning_pct),
                        "critical_pct": text(critical_pct),
                    },
                )
            )
        return result


# --- permits --------------------------------------------------------------------------------------


class PermitExpiring(Rule):
    code = "PERMIT_EXPIRING"
    message_zh = "{enterprise} 的许可证 {number} 将于 {valid_to} 到期（剩 {days} 天）。"
    message_en = "Permit {number} of {enterprise} expires on {valid_to} ({days} days left)."

    def findings(self, ctx):
        window = settings.WARNING_PERMIT_EXPIRY_DAYS
        permits = Permit.objects.filter(
            revoked_at__isnull=True, valid_to__gte=ctx.today, valid_to__lte=ctx.today + timedelta(days=window)
        )
        result = []
        for row in permits.values(
            "pk", "number", "kind", "valid_to", "enterprise_id", "enterprise__name", "enterprise__park_id"
        ):
            days = (row["valid_to"] - ctx.today).days
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"]),
                    park_id=row["enterprise__park_id"],
                    enterprise_id=row["enterprise_id"],
                    permit_id=row["pk"],
                    params={
                        "enterprise": row["enterprise__name"],
                        "number": row["number"],
                        "valid_to": row["valid_to"],
                        "days": days,
                    },
                    evidence={
                        "permit": row["number"],
                        "kind": row["kind"],
                        "valid_to": text(row["valid_to"]),
                        "days_left": days,
                        "window_days": window,
                    },
                )
            )
        return result


class CapacityExceeded(Rule):
    code = "CAPACITY_EXCEEDED"
    message_zh = "{enterprise} {year} 年已接收 {received} 吨，超过许可年经营规模 {capacity} 吨（{fill}%）。"
    message_en = "{enterprise} has received {received} t in {year}, beyond its licensed {capacity} t a year ({fill}%)."

    def findings(self, ctx):
        year = ctx.today.year
        critical_pct = settings.WARNING_CAPACITY_CRITICAL_PCT
        received = (
            ManifestLine.objects.filter(
                manifest__receiver=OuterRef("pk"),
                manifest__received_at__gte=local_midnight(date(year, 1, 1)),
                manifest__received_at__lt=local_midnight(date(year + 1, 1, 1)),
                accepted_quantity_t__gt=0,
            )
            .order_by()
            .values("manifest__receiver")
            .annotate(total=Sum("accepted_quantity_t"))
            .values("total")
        )
        capacity = (
            PermitLine.objects.filter(
                permit__enterprise=OuterRef("pk"),
                permit__kind__in=LICENCE_KINDS,
                permit__revoked_at__isnull=True,
                permit__valid_from__lte=ctx.today,
                permit__valid_to__gte=ctx.today,
            )
            .order_by()
            .values("permit__enterprise")
            .annotate(total=Sum("annual_capacity_t"))
            .values("total")
        )
        zero = Value(ZERO, output_field=_TONNES)
        receivers = (
            Enterprise.objects.filter(is_receiver=True)
            .annotate(
                received=Coalesce(Subquery(received, output_field=_TONNES), zero),
                capacity=Coalesce(Subquery(capacity, output_field=_TONNES), zero),
            )
            .filter(capacity__gt=0, received__gt=F("capacity"))
        )
        result = []
        for row in receivers.values("pk", "name", "park_id", "received", "capacity"):
            fill = pct(row["received"], row["capacity"])
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"], year),
                    park_id=row["park_id"],
                    enterprise_id=row["pk"],
                    severity=Severity.CRITICAL if fill >= critical_pct else Severity.WARNING,
                    params={
                        "enterprise": row["name"],
                        "year": year,
                        "received": row["received"],
                        "capacity": row["capacity"],
                        "fill": fill,
                    },
                    evidence={
                        "year": year,
                        "received_t": text(row["received"]),
                        "capacity_t": text(row["capacity"]),
                        "fill_pct": text(fill),
                        "critical_pct": text(critical_pct),
                    },
                )
            )
        return result


# --- figures: utilization and generation ----------------------------------------------------------


def last_complete_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


class UtilizationBelowTarget(Rule):
    """The park's rolling 12-month utilization rate of general industrial solid waste (the national
    statistics definition, DESIGN 5.6), over the months ending with the last complete month, from the
    park's snapshots (all categories)."""

    code = "UTILIZATION_BELOW_TARGET"
    message_zh = "{park} 截至 {period} 的近 12 个月一般工业固体废物综合利用率为 {rate}%，低于目标 {target}%。"
    message_en = (
        "{park}: the rolling 12-month utilization rate of general industrial solid waste to {period} is {rate}%, "
        "below the {target}% target."
    )

    def findings(self, ctx):
        from ..models.utilization import SnapshotScope, UtilizationSnapshot, rate_pct

        year, month = last_complete_month(ctx.today)
        last = year * 12 + month - 1
        rows = (
            UtilizationSnapshot.objects.filter(
                scope=SnapshotScope.PARK,
                waste_class="general",
                category_code="",
                month_index__gte=last - 11,
                month_index__lte=last,
            )
            .order_by()
            .values("park_id", "park__name", "park__utilization_target_pct")
            .annotate(
                generated=Sum("generated_t"), utilized=Sum("utilized_t"), prior=Sum("utilized_from_prior_storage_t")
            )
        )
        result = []
        period = f"{year:04d}-{month:02d}"
        for row in rows:
            rate = rate_pct(row["utilized"], row["generated"] + row["prior"])
            target = row["park__utilization_target_pct"]
            if rate is None or rate >= target:
                continue
            result.append(
                Finding(
                    dedup_key=self.key(row["park_id"]),
                    park_id=row["park_id"],
                    params={
                        "park": row["park__name"],
                        "period": period,
                        "rate": rate.quantize(Decimal("0.01")),
                        "target": target,
                    },
                    evidence={
                        "period": period,
                        "generated_t": text(row["generated"]),
                        "utilized_t": text(row["utilized"]),
                        "utilized_from_prior_storage_t": text(row["prior"]),
                        "rate_pct": text(rate),
                        "target_pct": text(target),
                    },
                )
            )
        return result


class GenerationAnomaly(Rule):
    """The last complete month's generation of a waste class against the enterprise's own trailing 12
    months (months with a snapshot row): below low × median, above high × median, or more than k σ from
    the mean. Needs a minimum history; a month without a row counts as 0 t."""

    code = "GENERATION_ANOMALY"
    message_zh = "{enterprise} {period} 产生{klass} {current} 吨，近 12 个月中位数 {median} 吨：{why_zh}。"
    message_en = (
        "{enterprise} generated {current} t of {klass_en} in {period}; its 12-month median is {median} t: {why_en}."
    )

    def findings(self, ctx):
        from ..models.utilization import SnapshotScope, UtilizationSnapshot

        low = settings.WARNING_ANOMALY_LOW_FACTOR
        high = settings.WARNING_ANOMALY_HIGH_FACTOR
        sigma = settings.WARNING_ANOMALY_SIGMA
        min_history = settings.WARNING_ANOMALY_MIN_HISTORY_MONTHS
        year, month = last_complete_month(ctx.today)
        last = year * 12 + month - 1
        rows = UtilizationSnapshot.objects.filter(
            scope=SnapshotScope.ENTERPRISE,
            category_code="",
            month_index__gte=last - 12,
            month_index__lte=last,
            enterprise__status="active",
        ).values_list("enterprise_id", "enterprise__name", "park_id", "waste_class", "month_index", "generated_t")
        series: dict[tuple, dict] = defaultdict(dict)
        names = {}
        for enterprise_id, name, park_id, waste_class, month_index, generated in rows:
            series[(enterprise_id, park_id, waste_class)][month_index] = generated
            names[enterprise_id] = name
        labels = {
            "general": ("一般工业固体废物", "general industrial solid waste"),
            "hazardous": ("危险废物", "hazardous waste"),
            "medical": ("医疗废物", "medical waste"),
        }
        period = f"{year:04d}-{month:02d}"
        result = []
        for (enterprise_id, park_id, waste_class), by_month in series.items():
            history = [value for index, value in by_month.items() if index < last]
            if len(history) < min_history:
                continue
            current = by_month.get(last, ZERO)
            median = Decimal(statistics.median(history))
            mean = sum(history) / len(history)
            deviation = Decimal(statistics.pstdev(history))
            reasons = []
            if current < low * median:
                reasons.append((f"低于中位数的 {text(low * HUNDRED)}%", f"below {text(low * HUNDRED)}% of the median"))
            if current > high * median:
                reasons.append(
                    (f"高于中位数的 {text(high * HUNDRED)}%", f"above {text(high * HUNDRED)}% of the median")
                )
            if deviation > 0 and abs(current - mean) > sigma * deviation:
                reasons.append((f"偏离均值超过 {text(sigma)} 个标准差", f"more than {text(sigma)} σ from the mean"))
            if not reasons:
                continue
            result.append(
                Finding(
                    dedup_key=self.key(enterprise_id, waste_class),
                    park_id=park_id,
                    enterprise_id=enterprise_id,
                    params={
                        "enterprise": names[enterprise_id],
                        "period": period,
                        "klass": labels[waste_class][0],
                        "klass_en": labels[waste_class][1],
                        "current": current,
                        "median": median.quantize(Decimal("0.0001")),
                        "why_zh": "；".join(zh for zh, _ in reasons),
                        "why_en": "; ".join(en for _, en in reasons),
                    },
                    evidence={
                        "period": period,
                        "waste_class": waste_class,
                        "generated_t": text(current),
                        "median_t": text(median.quantize(Decimal("0.0001"))),
                        "mean_t": text(Decimal(mean).quantize(Decimal("0.0001"))),
                        "stdev_t": text(deviation.quantize(Decimal("0.0001"))),
                        "history_months": len(history),
                    },
                )
            )
        return result


# --- monthly reports ------------------------------------------------------------------------------


class ReportMissing(Rule):
    """Generators (active) with no filed report (submitted at least once) for a month whose deadline has
    passed, over the last WARNING_REPORT_LOOKBACK_MONTHS months since the enterprise was registered."""

    code = "REPORT_MISSING"
    message_zh = "{enterprise} 未在 {deadline} 前提交 {period} 月报。"
    message_en = "{enterprise} has not filed its monthly report for {period}, due on {deadline}."

    def findings(self, ctx):
        from ..models.reports import MonthlyReport
        from .reports import Period

        deadline_day = settings.REPORT_DEADLINE_DAY
        period = Period.containing(ctx.today).previous()
        result = []
        for _step in range(settings.WARNING_REPORT_LOOKBACK_MONTHS):
            deadline = period.deadline(deadline_day)
            if ctx.today > deadline:
                filed = MonthlyReport.objects.filter(
                    enterprise=OuterRef("pk"), year=period.year, month=period.month, first_submitted_at__isnull=False
                )
                missing = Enterprise.objects.filter(
                    status="active", is_generator=True, created_at__lt=period.end
                ).filter(~Exists(filed))
                for row in missing.values("pk", "name", "park_id"):
                    result.append(
                        Finding(
                            dedup_key=self.key(row["pk"], str(period)),
                            park_id=row["park_id"],
                            enterprise_id=row["pk"],
                            params={"enterprise": row["name"], "period": str(period), "deadline": deadline},
                            evidence={
                                "period": str(period),
                                "deadline": text(deadline),
                                "days_late": (ctx.today - deadline).days,
                            },
                        )
                    )
            period = period.previous()
        return result


class ReportMismatch(Rule):
    """A filed report (submitted or accepted) whose shipped or received totals differ from the ledger's
    manifest entries of that month by more than the tolerance: shipped = the shipped entries (pickups);
    received = the received entries of manifests it received (returns of its own refused loads excluded)."""

    code = "REPORT_MISMATCH"
    message_zh = "{enterprise} {period} 月报：{figure_zh}填报 {reported} 吨，联单记录 {recorded} 吨。"
    message_en = (
        "{enterprise}'s report for {period}: {figure_en} reported {reported} t, the manifests say {recorded} t."
    )

    def findings(self, ctx):
        from ..models.reports import MonthlyReport, MonthlyReportLine
        from .reports import FILED_STATUSES

        tolerance = settings.WARNING_QUANTITY_TOLERANCE
        zero = Value(ZERO, output_field=_TONNES)

        def report_sum(expression):
            return Coalesce(
                Subquery(
                    MonthlyReportLine.objects.filter(revision=OuterRef("current_revision"))
                    .order_by()
                    .values("revision")
                    .annotate(total=Sum(expression))
                    .values("total"),
                    output_field=_TONNES,
                ),
                zero,
            )

        def ledger_sum(**filters):
            return Coalesce(
                Subquery(
                    LedgerEntry.objects.filter(
                        enterprise=OuterRef("enterprise"),
                        occurred_at__year=OuterRef("year"),
                        occurred_at__month=OuterRef("month"),
                        **filters,
                    )
                    .order_by()
                    .values("enterprise")
                    .annotate(total=Sum("quantity_t"))
                    .values("total"),
                    output_field=_TONNES,
                ),
                zero,
            )

        reports = MonthlyReport.objects.filter(status__in=FILED_STATUSES, current_revision__isnull=False).annotate(
            reported_shipped=report_sum(F("shipped_for_utilization_t") + F("shipped_for_disposal_t")),
            reported_received=report_sum(F("received_t")),
            recorded_shipped=ledger_sum(stage=LedgerStage.SHIPPED),
            recorded_received=ledger_sum(
                stage=LedgerStage.RECEIVED, manifest_line__manifest__receiver=OuterRef("enterprise")
            ),
        )
        result = []
        figures = (
            ("shipped", "转移量", "shipped"),
            ("received", "接收量", "received"),
        )
        for row in reports.values(
            "pk",
            "enterprise_id",
            "enterprise__name",
            "enterprise__park_id",
            "year",
            "month",
            "reported_shipped",
            "reported_received",
            "recorded_shipped",
            "recorded_received",
        ):
            period = f"{row['year']:04d}-{row['month']:02d}"
            for name, label_zh, label_en in figures:
                reported, recorded = row[f"reported_{name}"], row[f"recorded_{name}"]
                if abs(reported - recorded) <= tolerance * recorded:
                    continue
                result.append(
                    Finding(
                        dedup_key=self.key(row["pk"], name),
                        park_id=row["enterprise__park_id"],
                        enterprise_id=row["enterprise_id"],
                        report_id=row["pk"],
                        params={
                            "enterprise": row["enterprise__name"],
                            "period": period,
                            "figure_zh": label_zh,
                            "figure_en": label_en,
                            "reported": reported,
                            "recorded": recorded,
                        },
                        evidence={
                            "period": period,
                            "figure": name,
                            "reported_t": text(reported),
                            "recorded_t": text(recorded),
                            "tolerance_pct": text(tolerance * HUNDRED),
                        },
                    )
                )
        return result


# Most valuable first; the hourly scan runs them in this order.
RULES: tuple[Rule, ...] = (
    ManifestOverdue(),
    QuantityDiscrepancy(),
    StorageOverLimit(),
    StorageOverCapacity(),
    PermitExpiring(),
    PermitNotCovering(),
    CapacityExceeded(),
    ApprovalExceeded(),
    UtilizationBelowTarget(),
    GenerationAnomaly(),
    ReportMissing(),
    ReportMismatch(),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
MANIFEST_RULES = tuple(rule for rule in RULES if rule.manifest_scoped)
