import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

from wasteparks.sync import track_changes


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0012_accounts"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="apiclient", name="api_client_enterprise_matches_scope"),
        migrations.AlterField(
            model_name="apiclient",
            name="scope",
            field=models.CharField(
                choices=[
                    ("read:all", "Read everything (provincial platform)"),
                    ("enterprise", "Read and write its own enterprise"),
                    ("device", "Post its own device's readings only"),
                ],
                max_length=12,
                verbose_name="scope",
            ),
        ),
        migrations.AddConstraint(
            model_name="apiclient",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("scope__in", ["enterprise", "device"]), ("enterprise__isnull", False)),
                    models.Q(("scope", "read:all"), ("enterprise__isnull", True)),
                    _connector="OR",
                ),
                name="api_client_enterprise_matches_scope",
                violation_error_message=(
                    "An enterprise or device client names its enterprise; a read:all client names none."
                ),
            ),
        ),
        migrations.CreateModel(
            name="Device",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("sync_version", models.BigIntegerField(default=0, editable=False, verbose_name="change version")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("weighbridge", "Weighbridge"),
                            ("storage_sensor", "Storage level or weight sensor"),
                            ("thermometer", "Cold-store thermometer"),
                            ("vehicle_gps", "Vehicle GPS unit"),
                        ],
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("serial", models.CharField(max_length=64, verbose_name="serial number")),
                (
                    "interval_s",
                    models.PositiveIntegerField(
                        default=300,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(86400),
                        ],
                        verbose_name="reporting interval (s)",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "broker_password_hash",
                    models.CharField(editable=False, max_length=200, verbose_name="broker password hash"),
                ),
                (
                    "client",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="device",
                        to="registry.apiclient",
                        verbose_name="credential (API client)",
                    ),
                ),
                (
                    "enterprise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="devices",
                        to="registry.enterprise",
                        verbose_name="enterprise",
                    ),
                ),
                (
                    "facility",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="devices",
                        to="registry.facility",
                        verbose_name="facility",
                    ),
                ),
            ],
            options={
                "verbose_name": "device",
                "verbose_name_plural": "devices",
                "ordering": ["enterprise_id", "name"],
                "abstract": False,
                "indexes": [
                    models.Index(fields=["updated_at", "id"], name="registry_device_sync"),
                    models.Index(fields=["sync_version", "id"], name="device_changes"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("enterprise", "serial"), name="device_serial_unique_per_enterprise"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind__in", ("storage_sensor", "thermometer")), _negated=True),
                            ("facility__isnull", False),
                            _connector="OR",
                        ),
                        name="device_sensor_names_its_facility",
                        violation_error_message="A storage sensor or a thermometer is placed at a facility.",
                    ),
                    models.CheckConstraint(condition=models.Q(("interval_s__gte", 1)), name="device_interval_positive"),
                ],
            },
        ),
        # Devices are not (yet) a sync collection: versions only.
        track_changes("registry_device", collection=None),
    ]
