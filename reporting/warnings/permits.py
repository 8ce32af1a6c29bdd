"""Early-warning rules about permits: a permit about to expire, and a licence line taking in more than its
annual scale."""

from django.db.models import F

from registry.models import Permit, PermitLine
from transfers.services.capacity import with_received_in_year
from wasteparks.periods import Period

from ..models.thresholds import ThresholdKey
from ..models.utilization import rate_pct
from ..models.warnings import Severity
from .base import CENT, LICENCE_KINDS, Finding, Rule, text

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
    """A licence line whose year has taken in more than its annual scale (critical from the park's critical
    percentage, 120 % by default: art. 11(4) of the Measures for the Administration of Hazardous Waste
    Operating Licences asks for a new licence from there, and receipt refuses it).

    Per line, counting only what the line covers in the licence's year, as the receipt check does
    (transfers.services.capacity.with_received_in_year): general waste never counts against a hazardous
    waste licence, nor one category's waste against another's line."""

    code = "CAPACITY_EXCEEDED"
    message_zh = (
        "{enterprise} 许可证 {number} 的 {line} 项 {year} 年已接收 {received} 吨，"
        "超过许可年经营规模 {capacity} 吨（{fill}%）。"
    )
    message_en = (
        "{enterprise} has received {received} t in {year} under line {line} of licence {number}, beyond its "
        "licensed {capacity} t a year ({fill}%)."
    )

    def findings(self, ctx):
        year = Period.year_of(ctx.today.year)
        lines = (
            with_received_in_year(
                PermitLine.objects.filter(permit__kind__in=LICENCE_KINDS).in_force_on(ctx.today), on=ctx.today
            )
            .filter(annual_capacity_t__gt=0, received_t__gt=F("annual_capacity_t"))
            .order_by("pk")
        )
        result = []
        for row in lines.values(
            "pk",
            "permit_id",
            "permit__number",
            "permit__enterprise_id",
            "permit__enterprise__name",
            "permit__enterprise__park_id",
            "waste_code__code",
            "category__code",
            "method__code",
            "received_t",
            "annual_capacity_t",
        ):
            received, capacity = row["received_t"], row["annual_capacity_t"]
            fill = rate_pct(received, capacity).quantize(CENT)
            park_id = row["permit__enterprise__park_id"]
            critical_pct = ctx.thresholds.for_park(park_id)[K.CAPACITY_CRITICAL_PCT]
            line = f"{row['waste_code__code'] or row['category__code']} {row['method__code']}"
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"], year.year),
                    park_id=park_id,
                    enterprise_id=row["permit__enterprise_id"],
                    permit_id=row["permit_id"],
                    severity=Severity.CRITICAL if fill >= critical_pct else Severity.WARNING,
                    params={
                        "enterprise": row["permit__enterprise__name"],
                        "number": row["permit__number"],
                        "line": line,
                        "year": year.year,
                        "received": received,
                        "capacity": capacity,
                        "fill": fill,
                    },
                    evidence={
                        "year": year.year,
                        "permit": row["permit__number"],
                        "line": line,
                        "received_t": text(received),
                        "capacity_t": text(capacity),
                        "fill_pct": text(fill),
                        "critical_pct": text(critical_pct),
                    },
                )
            )
        return result
