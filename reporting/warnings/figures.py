"""Early-warning rules about the monthly figures: a park's utilization rate below its target, and an
enterprise's generation out of line with its own history. Both read the utilization snapshots."""

import statistics
from collections import defaultdict
from decimal import Decimal

from registry.models import WasteClass
from wasteparks.periods import Period

from ..models.thresholds import ThresholdKey
from ..models.utilization import SnapshotScope, UtilizationSnapshot, rates_of
from .base import CENT, HUNDRED, ZERO, Finding, Rule, text

K = ThresholdKey
WASTE_CLASS_LABELS = {
    "general": ("一般工业固体废物", "general industrial solid waste"),
    "hazardous": ("危险废物", "hazardous waste"),
    "medical": ("医疗废物", "medical waste"),
}


def last_complete_month(ctx) -> Period:
    return Period.containing(ctx.today).previous()


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
        month = last_complete_month(ctx)
        window = month.rolling(12)
        rows = UtilizationSnapshot.objects.filter(
            scope=SnapshotScope.PARK, waste_class=WasteClass.GENERAL, category_code=""
        ).window_totals(window, "park_id", "park__name", "park__utilization_target_pct")
        result = []
        period = str(month)
        for row in rows:
            rate = rates_of(row)[0]
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
                        "rate": rate.quantize(CENT),
                        "target": target,
                    },
                    evidence={
                        "period": period,
                        "generated_t": text(row["generated_t"]),
                        "utilized_t": text(row["utilized_t"]),
                        "utilized_from_prior_storage_t": text(row["utilized_from_prior_storage_t"]),
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
        month = last_complete_month(ctx)
        # The month itself and the twelve before it.
        window = month.rolling(13)
        last = month.last_index
        rows = UtilizationSnapshot.objects.filter(
            scope=SnapshotScope.ENTERPRISE,
            category_code="",
            month_index__gte=window.first_index,
            month_index__lte=window.last_index,
            enterprise__status="active",
        ).values_list("enterprise_id", "enterprise__name", "park_id", "waste_class", "month_index", "generated_t")
        series: dict[tuple, dict] = defaultdict(dict)
        names = {}
        for enterprise_id, name, park_id, waste_class, month_index, generated in rows:
            series[(enterprise_id, park_id, waste_class)][month_index] = generated
            names[enterprise_id] = name
        period = str(month)
        result = []
        for (enterprise_id, park_id, waste_class), by_month in series.items():
            park = ctx.thresholds.for_park(park_id)
            low, high, sigma = park[K.ANOMALY_LOW_FACTOR], park[K.ANOMALY_HIGH_FACTOR], park[K.ANOMALY_SIGMA]
            history = [value for index, value in by_month.items() if index < last]
            if len(history) < park[K.ANOMALY_MIN_HISTORY_MONTHS]:
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
                        "klass": WASTE_CLASS_LABELS[waste_class][0],
                        "klass_en": WASTE_CLASS_LABELS[waste_class][1],
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
