import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from wasteparks.sync import track_changes


class Migration(migrations.Migration):
    dependencies = [("reporting", "0009_device_rules")]

    operations = [
        migrations.CreateModel(
            name="ImportedRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("sync_version", models.BigIntegerField(default=0, editable=False, verbose_name="change version")),
                (
                    "source",
                    models.CharField(
                        choices=[("batteries", "Waste lead-acid battery collection platform")],
                        max_length=20,
                        verbose_name="source platform",
                    ),
                ),
                ("source_record_id", models.CharField(max_length=64, verbose_name="source record id")),
                (
                    "kind",
                    models.CharField(
                        choices=[("collection", "Collection"), ("transfer", "Transfer")],
                        max_length=12,
                        verbose_name="record kind",
                    ),
                ),
                ("occurred_on", models.DateField(verbose_name="date")),
                (
                    "receiver_credit_code",
                    models.CharField(blank=True, max_length=18, verbose_name="receiver credit code"),
                ),
                ("quantity_t", models.DecimalField(decimal_places=4, max_digits=14, verbose_name="quantity (t)")),
                ("fingerprint", models.CharField(max_length=64, verbose_name="fingerprint")),
                (
                    "enterprise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.enterprise",
                        verbose_name="enterprise",
                    ),
                ),
                (
                    "manifest",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="transfers.manifest",
                        verbose_name="manifest",
                    ),
                ),
                (
                    "park",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.park",
                        verbose_name="park",
                    ),
                ),
                (
                    "receiver",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.enterprise",
                        verbose_name="receiver",
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
                "verbose_name": "imported record",
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ImportRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("sync_version", models.BigIntegerField(default=0, editable=False, verbose_name="change version")),
                (
                    "source",
                    models.CharField(
                        choices=[("batteries", "Waste lead-acid battery collection platform")],
                        max_length=20,
                        verbose_name="source platform",
                    ),
                ),
                ("file_name", models.CharField(max_length=200, verbose_name="file name")),
                ("file_kind", models.CharField(max_length=8, verbose_name="file kind")),
                ("digest", models.CharField(max_length=64, verbose_name="content digest")),
                (
                    "status",
                    models.CharField(
                        choices=[("done", "Imported"), ("refused", "File refused")],
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("column_report", models.TextField(blank=True, verbose_name="column report")),
                ("rows_total", models.PositiveIntegerField(default=0, verbose_name="rows")),
                ("rows_imported", models.PositiveIntegerField(default=0, verbose_name="imported")),
                ("rows_unchanged", models.PositiveIntegerField(default=0, verbose_name="unchanged")),
                ("rows_refused", models.PositiveIntegerField(default=0, verbose_name="refused")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "park",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="import_runs",
                        to="registry.park",
                        verbose_name="park",
                    ),
                ),
            ],
            options={
                "verbose_name": "import run",
                "ordering": ["-created_at"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ImportRow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("row_no", models.PositiveIntegerField(verbose_name="row")),
                ("source_record_id", models.CharField(blank=True, max_length=64, verbose_name="source record id")),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("imported", "Imported"),
                            ("unchanged", "Already imported, unchanged"),
                            ("refused", "Refused"),
                        ],
                        max_length=10,
                        verbose_name="outcome",
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=300, verbose_name="reason")),
                (
                    "record",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="reporting.importedrecord",
                        verbose_name="record",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rows",
                        to="reporting.importrun",
                        verbose_name="import run",
                    ),
                ),
            ],
            options={
                "verbose_name": "import row",
                "ordering": ["run", "row_no"],
            },
        ),
        migrations.AddIndex(
            model_name="importedrecord",
            index=models.Index(fields=["park", "occurred_on"], name="reporting_i_park_id_86ea01_idx"),
        ),
        migrations.AddConstraint(
            model_name="importedrecord",
            constraint=models.UniqueConstraint(fields=("source", "source_record_id"), name="imported_record_once"),
        ),
        migrations.AddConstraint(
            model_name="importedrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity_t__gt", 0)), name="imported_record_quantity_positive"
            ),
        ),
        migrations.AddIndex(
            model_name="importrun",
            index=models.Index(fields=["updated_at", "id"], name="reporting_importrun_sync"),
        ),
        migrations.AddIndex(
            model_name="importrun",
            index=models.Index(fields=["sync_version", "id"], name="importrun_changes"),
        ),
        migrations.AddConstraint(
            model_name="importrun",
            constraint=models.UniqueConstraint(fields=("park", "source", "digest"), name="import_run_once_per_content"),
        ),
        migrations.AddConstraint(
            model_name="importrow",
            constraint=models.UniqueConstraint(fields=("run", "row_no"), name="import_row_once"),
        ),
        # Officers' records of the imports, not API collections: versions only.
        track_changes("reporting_importrun", collection=None),
        track_changes("reporting_importedrecord", collection=None),
    ]
