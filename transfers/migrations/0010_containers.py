import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from wasteparks.sync import track_changes


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0009_stock_equality_to_the_last_place"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Container",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("sync_version", models.BigIntegerField(default=0, editable=False, verbose_name="change version")),
                ("code", models.CharField(max_length=16, unique=True, verbose_name="container id")),
                ("quantity_t", models.DecimalField(decimal_places=4, max_digits=14, verbose_name="weight (t)")),
                (
                    "packaging_type",
                    models.CharField(
                        choices=[
                            ("drum", "Drum"),
                            ("bag", "Bag"),
                            ("box", "Box"),
                            ("ibc", "IBC tote"),
                            ("tank", "Tank"),
                            ("bulk", "Bulk"),
                            ("other", "Other"),
                        ],
                        max_length=8,
                        verbose_name="packaging",
                    ),
                ),
                (
                    "physical_form",
                    models.CharField(
                        choices=[
                            ("solid", "Solid"),
                            ("semi_solid", "Semi-solid"),
                            ("liquid", "Liquid"),
                            ("sludge", "Sludge"),
                            ("gas", "Gas"),
                        ],
                        max_length=12,
                        verbose_name="physical form",
                    ),
                ),
                ("main_components", models.CharField(blank=True, max_length=200, verbose_name="main components")),
                ("generated_on", models.DateField(verbose_name="date of generation")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("stored", "In storage"),
                            ("on_manifest", "Loaded on a manifest"),
                            ("in_transit", "In transit"),
                            ("received", "Received"),
                        ],
                        db_index=True,
                        default="stored",
                        max_length=12,
                        verbose_name="state",
                    ),
                ),
                (
                    "enterprise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="containers",
                        to="registry.enterprise",
                        verbose_name="generator enterprise",
                    ),
                ),
                (
                    "facility",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="containers",
                        to="registry.facility",
                        verbose_name="facility",
                    ),
                ),
                (
                    "labelled_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="labelled by",
                    ),
                ),
                (
                    "ledger_entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="containers",
                        to="transfers.ledgerentry",
                        verbose_name="ledger entry",
                    ),
                ),
                (
                    "manifest_line",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="containers",
                        to="transfers.manifestline",
                        verbose_name="manifest line",
                    ),
                ),
                (
                    "waste_code",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.wastecode",
                        verbose_name="waste code",
                    ),
                ),
            ],
            options={
                "verbose_name": "container",
                "verbose_name_plural": "containers",
                "ordering": ["enterprise_id", "code"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ContainerScan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "step",
                    models.CharField(
                        choices=[
                            ("storage_in", "Storage in"),
                            ("storage_out", "Storage out"),
                            ("pickup", "Pickup"),
                            ("receipt", "Receipt"),
                        ],
                        max_length=12,
                        verbose_name="step",
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[("ok", "As recorded"), ("discrepancy", "Discrepancy")],
                        max_length=12,
                        verbose_name="outcome",
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=300, verbose_name="reason")),
                ("at", models.DateTimeField(db_index=True, verbose_name="at")),
                (
                    "acting_enterprise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.enterprise",
                        verbose_name="acting for enterprise",
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="scanned by",
                    ),
                ),
                (
                    "container",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="scans",
                        to="transfers.container",
                        verbose_name="container",
                    ),
                ),
                (
                    "facility",
                    models.ForeignKey(
                        blank=True,
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
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="container_scans",
                        to="transfers.manifest",
                        verbose_name="manifest",
                    ),
                ),
            ],
            options={
                "verbose_name": "container scan",
                "verbose_name_plural": "container scans",
                "ordering": ["at", "id"],
            },
        ),
        migrations.AddIndex(
            model_name="container",
            index=models.Index(fields=["updated_at", "id"], name="transfers_container_sync"),
        ),
        migrations.AddIndex(
            model_name="container",
            index=models.Index(fields=["sync_version", "id"], name="container_changes"),
        ),
        migrations.AddConstraint(
            model_name="container",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity_t__gt", 0)), name="container_weight_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="container",
            constraint=models.CheckConstraint(
                condition=models.Q(("state", "stored"), ("manifest_line__isnull", False), _connector="OR"),
                name="container_off_store_has_manifest_line",
            ),
        ),
        track_changes("transfers_container", collection="containers", enterprise="enterprise_id"),
    ]
