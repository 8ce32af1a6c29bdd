"""Early-warning rules about permits: a permit about to expire, and a receiver taking in more than its
licence allows in a year."""

from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from registry.models import Enterprise, Permit, PermitLine
from transfers.models import ManifestLine
from wasteparks.periods import Period

from ..models.thresholds import ThresholdKey
from ..models.utilization import rate_pct
from ..models.warnings import Severity
from .base import CENT, LICENCE_KINDS, TONNES, ZERO, Finding, Rule, text

K = ThresholdKey


class PermitExpiring(Rule):
    """A permit (not revoked) expiring within the days the enterprise's park warns ahead."""

    code = "PERMIT_EXPIRING"
    message_zh = "{enterprise} 的许可证 {number} 将于 {valid_to} 到期（剩 {days} 天）。"
    message_en = "Permit {number} of {enterprise} expires on {valid_to} ({days} days left)."

    def findings(self, ctx):
        thresholds = ctx.thresholds
        permits = Permit.objects.expiring_within(ctx.today, thresholds.largest(K.PERMIT_EXPIRY_DAYS))
        result = []
        for row in permits.values(
            "pk", "number", "kind", "valid_to", "enterprise_id", "enterprise__name", "enterprise__park_id"
        ):
            days = (row["valid_to"] - ctx.today).days
            window = thresholds.for_park(row["enterprise__park_id"])[K.PERMIT_EXPIRY_DAYS]
            if days > window:
                continue
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
    """A receiver that has accepted more this year than its licences allow a year (critical from the
    park's critical percentage)."""

    code = "CAPACITY_EXCEEDED"
    message_zh = "{enterprise} {year} 年已接收 {received} 吨，超过许可年经营规模 {capacity} 吨（{fill}%）。"
    message_en = "{enterprise} has received {received} t in {year}, beyond its licensed {capacity} t a year ({fill}%)."

    def findings(self, ctx):
        year = Period.year_of(ctx.today.year)
        received = (
            ManifestLine.objects.filter(
                manifest__receiver=OuterRef("pk"),
                manifest__received_at__gte=year.start,
                manifest__received_at__lt=year.end,
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
        zero = Value(ZERO, output_field=TONNES)
        receivers = (
            Enterprise.objects.receivers()
            .annotate(
                received=Coalesce(Subquery(received, output_field=TONNES), zero),
                capacity=Coalesce(Subquery(capacity, output_field=TONNES), zero),
            )
            .filter(capacity__gt=0, received__gt=F("capacity"))
        )
        result = []
        for row in receivers.values("pk", "name", "park_id", "received", "capacity"):
            fill = rate_pct(row["received"], row["capacity"]).quantize(CENT)
            critical_pct = ctx.thresholds.for_park(row["park_id"])[K.CAPACITY_CRITICAL_PCT]
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"], year.year),
                    park_id=row["park_id"],
                    enterprise_id=row["pk"],
                    severity=Severity.CRITICAL if fill >= critical_pct else Severity.WARNING,
                    params={
                        "enterprise": row["name"],
                        "year": year.year,
                        "received": row["received"],
                        "capacity": row["capacity"],
                        "fill": fill,
                    },
                    evidence={
                        "year": year.year,
                        "received_t": text(row["received"]),
                        "capacity_t": text(row["capacity"]),
                        "fill_pct": text(fill),
                        "critical_pct": text(critical_pct),
                    },
                )
            )
        return result
