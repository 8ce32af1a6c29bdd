from datetime import UTC, date, datetime, timedelta

import django.db.models.deletion
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
    ("device_silent_intervals", "Reporting intervals without a reading before a device is silent"),
]


# The readings' own partitioning function as this migration made it; reporting 0014_time_partitions replaces it
# with the one every time-partitioned table uses (wasteparks/partitions.py). Fixed names only.
FUNCTION = "reporting_ensure_reading_partition"
CREATE_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}(day date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    first date := date_trunc('month', day)::date;
    name text := format('reporting_reading_y%sm%s', to_char(first, 'YYYY'), to_char(first, 'MM'));
BEGIN
    IF to_regclass(name) IS NULL THEN
        -- Two sessions may both find it missing: the loser's CREATE fails, and it finds it made.
        BEGIN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF reporting_reading FOR VALUES FROM (%L) TO (%L)',
                name,
                first::text || ' 00:00+00',
                (first + interval '1 month')::date::text || ' 00:00+00'
            );
        EXCEPTION WHEN duplicate_table THEN NULL;
        END;
    END IF;
    RETURN name;
END
$$;
"""
DROP_FUNCTION_SQL = f"DROP FUNCTION IF EXISTS {FUNCTION}(date)"


def key_field():
    return models.CharField(choices=THRESHOLD_KEYS, max_length=32, verbose_name="threshold")


def create_readings_table(apps, schema_editor):
    """PostgreSQL: the table partitioned by month of measured_at, its function to add months, and the
    months from last month to three ahead. SQLite: a plain table."""
    model = apps.get_model("reporting", "Reading")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.create_model(model)
        return
    sql, params = schema_editor.table_sql(model)
    schema_editor.execute(f"{sql} PARTITION BY RANGE ({schema_editor.quote_name('measured_at')})", params or None)
    for statement in schema_editor._model_indexes_sql(model):
        schema_editor.execute(statement)
    with schema_editor.connection.cursor() as cursor:
        # No parameters: the function's body has format() placeholders of its own.
        cursor.execute(CREATE_FUNCTION_SQL)
        last_month = (datetime.now(UTC).date().replace(day=1) - timedelta(days=1)).replace(day=1)
        months = last_month.year * 12 + last_month.month - 1
        for month in range(months, months + 4):
            cursor.execute(f"SELECT {FUNCTION}(%s)", [date(month // 12, month % 12 + 1, 1)])


def drop_readings_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS reporting_reading CASCADE")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNCTION_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0008_duties_and_plans"),
        # The devices whose readings these are.
        ("registry", "0013_devices"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeviceTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("accepted", "Accepted"),
                            ("duplicate", "Duplicate (ignored)"),
                            ("malformed", "Malformed"),
                            ("in_future", "Timestamp too far in the future"),
                            ("too_old", "Timestamp too far in the past"),
                            ("foreign_facility", "Another enterprise's facility"),
                            ("unknown_manifest", "Manifest unknown to this device's enterprise"),
                            ("throttled", "Too many readings (throttled)"),
                            ("revoked", "Device revoked or inactive"),
                        ],
                        max_length=16,
                        verbose_name="outcome",
                    ),
                ),
                ("count", models.BigIntegerField(default=0, verbose_name="readings")),
                ("last_at", models.DateTimeField(verbose_name="last at")),
                ("last_detail", models.CharField(blank=True, max_length=200, verbose_name="last detail")),
                (
                    "device",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tallies",
                        to="registry.device",
                        verbose_name="device",
                    ),
                ),
            ],
            options={
                "verbose_name": "device health tally",
                "verbose_name_plural": "device health tallies",
                "constraints": [
                    models.UniqueConstraint(fields=("device", "outcome"), name="one_tally_per_device_and_outcome"),
                    models.CheckConstraint(condition=models.Q(("count__gte", 0)), name="tally_not_negative"),
                ],
            },
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Reading",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "device_id",
                                "measured_at",
                                "reading_id",
                                blank=True,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        (
                            "device",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.device",
                                verbose_name="device",
                            ),
                        ),
                        ("measured_at", models.DateTimeField(verbose_name="measured at")),
                        ("reading_id", models.CharField(max_length=64, verbose_name="reading id")),
                        ("received_at", models.DateTimeField(verbose_name="received at")),
                        (
                            "source",
                            models.CharField(
                                choices=[("http", "HTTP"), ("mqtt", "MQTT")], max_length=4, verbose_name="received over"
                            ),
                        ),
                        ("value", models.DecimalField(decimal_places=4, max_digits=14, verbose_name="value")),
                        (
                            "latitude",
                            models.DecimalField(
                                blank=True, decimal_places=6, max_digits=9, null=True, verbose_name="latitude"
                            ),
                        ),
                        (
                            "longitude",
                            models.DecimalField(
                                blank=True, decimal_places=6, max_digits=9, null=True, verbose_name="longitude"
                            ),
                        ),
                        (
                            "facility",
                            models.ForeignKey(
                                blank=True,
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.facility",
                                verbose_name="facility",
                            ),
                        ),
                        (
                            "manifest",
                            models.ForeignKey(
                                blank=True,
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="transfers.manifest",
                                verbose_name="manifest",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "device reading",
                        "verbose_name_plural": "device readings",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("manifest__isnull", False)),
                                fields=["manifest", "measured_at"],
                                name="reading_by_manifest",
                            )
                        ],
                    },
                ),
            ],
        ),
        # After the state knows the model: the table itself (partitioned on PostgreSQL).
        migrations.RunPython(create_readings_table, drop_readings_table),
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
