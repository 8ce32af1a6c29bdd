"""Warning thresholds: models.

The thresholds of the warning rules are provincial policy. The settings (`WARNING_*`) are the
defaults; a province may set its own value of a threshold, and a park its own override of the
province's. A row is one value of one threshold for a province or for a park, never both (a database
constraint). Every change is kept by simple_history with who made it, when and why.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models import Park, User

__all__ = ["THRESHOLD_SPECS", "ThresholdKey", "ThresholdLevel", "ThresholdSpec", "WarningThreshold"]


class ThresholdKey(models.TextChoices):
    TRANSIT_DAYS = "transit_days", _("Days in transit before a manifest is overdue")
    CONFIRM_WORKING_DAYS = "confirm_working_days", _("Working days to confirm a received load")
    QUANTITY_TOLERANCE = "quantity_tolerance", _("Quantity tolerance (0.05 = 5 %)")
    STORAGE_NOTICE_DAYS = "storage_notice_days", _("Days of hazardous waste storage before a warning")
    STORAGE_LIMIT_DAYS = "storage_limit_days", _("Days of hazardous waste storage allowed")
    MEDICAL_STORAGE_HOURS = "medical_storage_hours", _("Hours of medical waste storage allowed at the producer")
    MEDICAL_PLANT_HOURS = "medical_plant_hours", _("Hours of medical waste storage allowed at a disposal plant")
    MEDICAL_PLANT_COLD_HOURS = (
        "medical_plant_cold_hours",
        _("Hours of medical waste storage allowed in a disposal plant's cold store"),
    )
    FACILITY_FILL_WARNING_PCT = "facility_fill_warning_pct", _("Storage fill that warns (%)")
    FACILITY_FILL_CRITICAL_PCT = "facility_fill_critical_pct", _("Storage fill that is critical (%)")
    PERMIT_EXPIRY_DAYS = "permit_expiry_days", _("Days before a permit expires to warn")
    CAPACITY_CRITICAL_PCT = "capacity_critical_pct", _("Use of the licensed annual capacity that is critical (%)")
    ANOMALY_LOW_FACTOR = "anomaly_low_factor", _("Generation anomaly: below this times the median")
    ANOMALY_HIGH_FACTOR = "anomaly_high_factor", _("Generation anomaly: above this times the median")
    ANOMALY_SIGMA = "anomaly_sigma", _("Generation anomaly: standard deviations from the mean")
    ANOMALY_MIN_HISTORY_MONTHS = "anomaly_min_history_months", _("Generation anomaly: months of history needed")
    REPORT_LOOKBACK_MONTHS = "report_lookback_months", _("Months looked back for missing monthly reports")
    SENSOR_STOCK_TOLERANCE = "sensor_stock_tolerance", _("Storage sensor against ledger stock: tolerance (0.1 = 10 %)")
    COLD_STORE_MAX_C = "cold_store_max_c", _("Highest temperature of a medical waste cold store (°C)")
    COLD_CHAIN_BREACH_MINUTES = "cold_chain_breach_minutes", _("Minutes above it that break the cold chain")
    VEHICLE_STOP_MINUTES = "vehicle_stop_minutes", _("Minutes a loaded vehicle may stand still in transit")
    VEHICLE_STOP_SPEED_KMH = "vehicle_stop_speed_kmh", _("Speed below which a vehicle stands still (km/h)")
    ROUTE_CORRIDOR_KM = "route_corridor_km", _("Distance from the plausible route that is off route (km)")
    ROUTE_DETOUR_FACTOR = "route_detour_factor", _("Road distance as a multiple of the straight-line distance")
    TRANSIT_SPEED_KMH = "transit_speed_kmh", _("Average speed expected in transit (km/h)")
    TRANSIT_ALLOWANCE_HOURS = "transit_allowance_hours", _("Hours allowed in transit on top of the driving time")
    DEVICE_SILENT_INTERVALS = (
        "device_silent_intervals",
        _("Reporting intervals without a reading before a device is silent"),
    )


class ThresholdLevel(models.TextChoices):
    """Where a value is set: for the whole province, or for one park (overriding the province)."""

    PROVINCE = "province", _("The province")
    PARK = "park", _("This park")


@dataclass(frozen=True)
class ThresholdSpec:
    """What a threshold may be: whole or not, and the range a province or park may set it to."""

    setting: str
    whole: bool
    minimum: Decimal
    maximum: Decimal

    @property
    def default(self) -> Decimal:
        return Decimal(getattr(settings, self.setting))

    def typed(self, value: Decimal) -> int | Decimal:
        return int(value) if self.whole else value

    def problem(self, value: Decimal):
        """Why `value` cannot be this threshold (a message), or None."""
        if not value.is_finite():
            return _("Enter a number.")
        if self.whole and value != value.to_integral_value():
            return _("Enter a whole number.")
        if not self.minimum <= value <= self.maximum:
            return _("Enter a value from %(minimum)s to %(maximum)s.") % {
                "minimum": _plain(self.minimum),
                "maximum": _plain(self.maximum),
            }
        return None


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _spec(setting: str, minimum: str, maximum: str, *, whole: bool = True) -> ThresholdSpec:
    return ThresholdSpec(setting=setting, whole=whole, minimum=Decimal(minimum), maximum=Decimal(maximum))


K = ThresholdKey
# The settings each threshold defaults to, and the ranges a province or a park may choose from.
THRESHOLD_SPECS: dict[str, ThresholdSpec] = {
    K.TRANSIT_DAYS: _spec("WARNING_TRANSIT_DAYS", "1", "60"),
    K.CONFIRM_WORKING_DAYS: _spec("WARNING_CONFIRM_WORKING_DAYS", "1", "60"),
    K.QUANTITY_TOLERANCE: _spec("WARNING_QUANTITY_TOLERANCE", "0", "0.5", whole=False),
    K.STORAGE_NOTICE_DAYS: _spec("WARNING_STORAGE_NOTICE_DAYS", "1", "3650"),
    K.STORAGE_LIMIT_DAYS: _spec("WARNING_STORAGE_LIMIT_DAYS", "1", "3650"),
    K.MEDICAL_STORAGE_HOURS: _spec("WARNING_MEDICAL_STORAGE_HOURS", "1", "720"),
    K.MEDICAL_PLANT_HOURS: _spec("WARNING_MEDICAL_PLANT_HOURS", "1", "720"),
    K.MEDICAL_PLANT_COLD_HOURS: _spec("WARNING_MEDICAL_PLANT_COLD_HOURS", "1", "720"),
    K.FACILITY_FILL_WARNING_PCT: _spec("WARNING_FACILITY_FILL_WARNING_PCT", "1", "200", whole=False),
    K.FACILITY_FILL_CRITICAL_PCT: _spec("WARNING_FACILITY_FILL_CRITICAL_PCT", "1", "200", whole=False),
    K.PERMIT_EXPIRY_DAYS: _spec("WARNING_PERMIT_EXPIRY_DAYS", "1", "365"),
    K.CAPACITY_CRITICAL_PCT: _spec("WARNING_CAPACITY_CRITICAL_PCT", "100", "1000", whole=False),
    K.ANOMALY_LOW_FACTOR: _spec("WARNING_ANOMALY_LOW_FACTOR", "0", "1", whole=False),
    K.ANOMALY_HIGH_FACTOR: _spec("WARNING_ANOMALY_HIGH_FACTOR", "1", "100", whole=False),
    K.ANOMALY_SIGMA: _spec("WARNING_ANOMALY_SIGMA", "0.5", "10", whole=False),
    K.ANOMALY_MIN_HISTORY_MONTHS: _spec("WARNING_ANOMALY_MIN_HISTORY_MONTHS", "2", "12"),
    K.REPORT_LOOKBACK_MONTHS: _spec("WARNING_REPORT_LOOKBACK_MONTHS", "1", "60"),
    K.SENSOR_STOCK_TOLERANCE: _spec("WARNING_SENSOR_STOCK_TOLERANCE", "0", "1", whole=False),
    K.COLD_STORE_MAX_C: _spec("WARNING_COLD_STORE_MAX_C", "0", "20", whole=False),
    K.COLD_CHAIN_BREACH_MINUTES: _spec("WARNING_COLD_CHAIN_BREACH_MINUTES", "1", "1440"),
    K.VEHICLE_STOP_MINUTES: _spec("WARNING_VEHICLE_STOP_MINUTES", "5", "1440"),
    K.VEHICLE_STOP_SPEED_KMH: _spec("WARNING_VEHICLE_STOP_SPEED_KMH", "0", "30", whole=False),
    K.ROUTE_CORRIDOR_KM: _spec("WARNING_ROUTE_CORRIDOR_KM", "1", "200", whole=False),
    K.ROUTE_DETOUR_FACTOR: _spec("WARNING_ROUTE_DETOUR_FACTOR", "1", "5", whole=False),
    K.TRANSIT_SPEED_KMH: _spec("WARNING_TRANSIT_SPEED_KMH", "5", "120", whole=False),
    K.TRANSIT_ALLOWANCE_HOURS: _spec("WARNING_TRANSIT_ALLOWANCE_HOURS", "0", "240"),
    K.DEVICE_SILENT_INTERVALS: _spec("WARNING_DEVICE_SILENT_INTERVALS", "1", "1000"),
}
# Pairs that must stay ordered wherever both apply: (lower, upper).
ORDERED_PAIRS: tuple[tuple[str, str], ...] = (
    (K.STORAGE_NOTICE_DAYS, K.STORAGE_LIMIT_DAYS),
    (K.FACILITY_FILL_WARNING_PCT, K.FACILITY_FILL_CRITICAL_PCT),
)


class WarningThreshold(models.Model):
    """One threshold's value for a province (its 2-digit code) or for one park (an override)."""

    key = models.CharField(_("threshold"), max_length=32, choices=ThresholdKey.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=4)
    province_code = models.CharField(
        _("province code"), max_length=2, blank=True, validators=[RegexValidator(r"^\d{2}$")]
    )
    park = models.ForeignKey(
        Park, models.CASCADE, null=True, blank=True, related_name="warning_thresholds", verbose_name=_("park")
    )

    # The reason an officer gives can be longer than simple_history's default 100 characters.
    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))
    # Set before a save or a delete: simple_history records them as who made the change and why.
    _history_user: User | None
    _change_reason: str

    class Meta:
        ordering = ["province_code", "park_id", "key"]
        verbose_name = _("warning threshold")
        verbose_name_plural = _("warning thresholds")
        constraints = [
            models.CheckConstraint(
                condition=(Q(park__isnull=False) & Q(province_code=""))
                | (Q(park__isnull=True) & Q(province_code__regex=r"^\d{2}$")),
                name="threshold_for_a_province_or_a_park",
                violation_error_message=_("A threshold is set for a province or for a park, not both."),
            ),
            models.CheckConstraint(condition=Q(key__in=ThresholdKey.values), name="threshold_key_known"),
            models.CheckConstraint(condition=Q(value__gte=0), name="threshold_value_not_negative"),
            models.UniqueConstraint(
                fields=["key", "province_code"],
                condition=Q(park__isnull=True),
                name="one_threshold_per_province_and_key",
            ),
            models.UniqueConstraint(
                fields=["key", "park"], condition=Q(park__isnull=False), name="one_threshold_per_park_and_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} = {_plain(self.value)} ({self.park or self.province_code})"
