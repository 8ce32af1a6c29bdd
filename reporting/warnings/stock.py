"""Early-warning rules about stock on hand: waste stored too long, and storage facilities filling up."""

from datetime import timedelta

from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce

from registry.models import Facility
from transfers.models import StockBalance

from ..models.thresholds import ThresholdKey
from ..models.utilization import rate_pct
from ..models.warnings import Severity
from .base import CENT, HUNDRED, TONNES, ZERO, Finding, Rule, text
from .devices import warm_cold_stores

K = ThresholdKey


def medical_limit_key(*, at_plant: bool, cold_store: bool) -> str:
    """The threshold of hours medical waste may be stored where it lies.

    - At its producer (a hospital or clinic), 2 days: "医疗废物暂时贮存的时间不得超过2天" (Measures for the
      Management of Medical Waste in Medical and Health Institutions, art. 20; the Regulations on the
      Management of Medical Waste, art. 17, say the same), read at oc.gkteach.cn/forum.php?tid=98701 and
      in the Regulations' text at kfzbg.com/bk/385096.html. MEDICAL_STORAGE_HOURS, 48 by default.
    - At the disposal plant, GB 39707-2020 (医疗废物处理处置污染控制标准): below 5 °C at most 72 hours,
      read in an environmental assessment quoting the standard's storage clause ("温度设置<5℃，医疗废物
      暂时贮存时间不超过72小时", zaqa.com.cn/News/view/id/129.html): MEDICAL_PLANT_COLD_HOURS, 72. At 5 °C or
      above at most 24 hours: MEDICAL_PLANT_HOURS, 24, the standard's other limit as the platform's design
      cites it; the public texts reachable here quoted only the cold-store figure, so a province corrects
      it on its thresholds page should the standard's text say otherwise.

    The plant is the receiving enterprise; the temperature is its facility's `cold_store`, unless the
    store's thermometer now reads above the cold-store limit (devices.warm_cold_stores): then its waste
    is held to the limit at 5 °C or above.
    """
    if not at_plant:
        return K.MEDICAL_STORAGE_HOURS
    return K.MEDICAL_PLANT_COLD_HOURS if cold_store else K.MEDICAL_PLANT_HOURS


MEDICAL_KEYS = (K.MEDICAL_STORAGE_HOURS, K.MEDICAL_PLANT_HOURS, K.MEDICAL_PLANT_COLD_HOURS)


class StorageOverLimit(Rule):
    """The oldest waste on hand of a hazardous code older than the park's notice (critical beyond its
    limit), or of a medical code older than the park's hours for where it lies (always critical): at the
    producer, or at the disposal plant by the storage facility's temperature (medical_limit_key)."""

    code = "STORAGE_OVER_LIMIT"
    message_zh = "{enterprise} 的 {facility} 中 {code} 最早一批已贮存 {age}（期限 {limit}）。"
    message_en = "{code} at {facility} of {enterprise} has been stored for {age} (limit {limit})."

    def findings(self, ctx):
        thresholds = ctx.thresholds
        notice_since = ctx.now - timedelta(days=thresholds.smallest(K.STORAGE_NOTICE_DAYS))
        medical_since = ctx.now - timedelta(hours=min(thresholds.smallest(key) for key in MEDICAL_KEYS))
        balances = (
            StockBalance.objects.on_hand()
            .with_oldest_on_hand()
            .filter(
                Q(waste_code__waste_class="hazardous", oldest_on_hand_at__lt=notice_since)
                | Q(waste_code__waste_class="medical", oldest_on_hand_at__lt=medical_since)
            )
        )
        warm = {row["facility_id"] for row in warm_cold_stores(ctx).values()}
        result = []
        for row in balances.values(
            "enterprise_id",
            "enterprise__name",
            "enterprise__park_id",
            "facility_id",
            "facility__name",
            "facility__cold_store",
            "enterprise__is_receiver",
            "waste_code__code",
            "waste_code__waste_class",
            "quantity_t",
            "oldest_on_hand_at",
        ):
            age = ctx.now - row["oldest_on_hand_at"]
            park = thresholds.for_park(row["enterprise__park_id"])
            limit_days, notice_days = park[K.STORAGE_LIMIT_DAYS], park[K.STORAGE_NOTICE_DAYS]
            if row["waste_code__waste_class"] == "medical":
                medical_hours = park[
                    medical_limit_key(
                        at_plant=row["enterprise__is_receiver"],
                        cold_store=row["facility__cold_store"] and row["facility_id"] not in warm,
                    )
                ]
                if age <= timedelta(hours=medical_hours):
                    continue
                severity = Severity.CRITICAL
                age_text, limit_text = f"{int(age.total_seconds() // 3600)} h", f"{medical_hours} h"
            else:
                if age <= timedelta(days=notice_days):
                    continue
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
    """A storage facility filled beyond the park's warning percentage (critical beyond its critical one)."""

    code = "STORAGE_OVER_CAPACITY"
    message_zh = "{enterprise} 的 {facility} 贮存 {on_hand} 吨，占容量 {capacity} 吨的 {fill}%。"
    message_en = "{facility} of {enterprise} holds {on_hand} t, {fill}% of its {capacity} t capacity."

    def findings(self, ctx):
        thresholds = ctx.thresholds
        facilities = (
            Facility.objects.storage()
            .filter(active=True, capacity_t__gt=0)
            .annotate(on_hand=Coalesce(Sum("stock__quantity_t"), Value(ZERO, output_field=TONNES)))
            .filter(on_hand__gt=F("capacity_t") * thresholds.smallest(K.FACILITY_FILL_WARNING_PCT) / HUNDRED)
        )
        result = []
        for row in facilities.values(
            "pk", "name", "capacity_t", "on_hand", "enterprise_id", "enterprise__name", "enterprise__park_id"
        ):
            park = thresholds.for_park(row["enterprise__park_id"])
            warning_pct, critical_pct = park[K.FACILITY_FILL_WARNING_PCT], park[K.FACILITY_FILL_CRITICAL_PCT]
            if row["on_hand"] * HUNDRED <= row["capacity_t"] * warning_pct:
                continue
            fill = rate_pct(row["on_hand"], row["capacity_t"]).quantize(CENT)
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
