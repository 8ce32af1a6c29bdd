"""The route and transit-time rules' four threshold keys (reporting/warnings/routes.py)."""

from django.db import migrations, models

THRESHOLD_KEYS = [
    ("transit_days", "Days in transit before a manifest is overdue"),
    ("confirm_working_days", "Working days to confirm a received load"),
    ("quantity_tolerance", "Quantity tolerance (0.05 = 5 %)"),
    ("storage_notice_days", "Days of hazardous waste storage before a warning"),
    ("storage_limit_days", "Days of hazardous waste storage allowed"),
    ("medical_storage_hours", "Hours of medical waste storage allowed at the producer"),
    ("medical_plant_hours", "Hours of medical waste storage allowed at a disposal plant"),
    ("medical_plant_cold_hours", "Hours of medical waste storage allowed in a disposal plant's cold store"),
    ("facility_fill_warning_pct", "Storage fill that warns (%)"),
    ("facility_fill_critical_pct", "Storage fill that is critical (%)"),
    ("permit_expiry_days", "Days before a permit expires to warn"),
    ("capacity_critical_pct", "Use of the licensed annual capacity that is critical (%)"),
    ("anomaly_low_factor", "Generation anomaly: below this times the median"),
    ("anomaly_high_factor", "Generation anomaly: above this times the median"),
    ("anomaly_sigma", "Generation anomaly: standard deviations from the mean"),
    ("anomaly_min_history_months", "Generation anomaly: months of history needed"),
    ("report_lookback_months", "Months looked back for missing monthly reports"),
    ("sensor_stock_tolerance", "Storage sensor against ledger stock: tolerance (0.1 = 10 %)"),
    ("cold_store_max_c", "Highest temperature of a medical waste cold store (°C)"),
    ("cold_chain_breach_minutes", "Minutes above it that break the cold chain"),
    ("vehicle_stop_minutes", "Minutes a loaded vehicle may stand still in transit"),
    ("vehicle_stop_speed_kmh", "Speed below which a vehicle stands still (km/h)"),
    ("route_corridor_km", "Distance from the plausible route that is off route (km)"),
    ("route_detour_factor", "Road distance as a multiple of the straight-line distance"),
    ("transit_speed_kmh", "Average speed expected in transit (km/h)"),
    ("transit_allowance_hours", "Hours allowed in transit on top of the driving time"),
    ("device_silent_intervals", "Reporting intervals without a reading before a device is silent"),
]


def key_field():
    return models.CharField(choices=THRESHOLD_KEYS, max_length=32, verbose_name="threshold")


class Migration(migrations.Migration):
    dependencies = [("reporting", "0010_imports")]

    operations = [
        migrations.RemoveConstraint(model_name="warningthreshold", name="threshold_key_known"),
        migrations.AlterField(model_name="historicalwarningthreshold", name="key", field=key_field()),
        migrations.AlterField(model_name="warningthreshold", name="key", field=key_field()),
        migrations.AddConstraint(
            model_name="warningthreshold",
            constraint=models.CheckConstraint(
                condition=models.Q(("key__in", [key for key, _label in THRESHOLD_KEYS])), name="threshold_key_known"
            ),
        ),
    ]
