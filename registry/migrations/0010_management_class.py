"""HJ 1259-2022 management classes: the class history (derived, set by an officer, lifted) and the flag
of an officer's class on the enterprise; filings (备案) of cross-province general waste transfers."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from wasteparks.sync import track_changes


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0008_facility_cold_store"),
    ]

    operations = [
        migrations.AddField(
            model_name="enterprise",
            name="management_class_overridden",
            field=models.BooleanField(default=False, verbose_name="management class set by an officer"),
        ),
        migrations.AddField(
            model_name="historicalenterprise",
            name="management_class_overridden",
            field=models.BooleanField(default=False, verbose_name="management class set by an officer"),
        ),
        migrations.CreateModel(
            name="HistoricalTransferFiling",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("created_at", models.DateTimeField(blank=True, editable=False, verbose_name="created at")),
                ("updated_at", models.DateTimeField(blank=True, editable=False, verbose_name="updated at")),
                ("number", models.CharField(db_index=True, max_length=64, verbose_name="filing number")),
                (
                    "quantity_t",
                    models.DecimalField(
                        blank=True, decimal_places=4, max_digits=14, null=True, verbose_name="quantity filed (t)"
                    ),
                ),
                ("valid_from", models.DateField(verbose_name="valid from")),
                ("valid_to", models.DateField(verbose_name="valid to")),
                ("filed_with", models.CharField(max_length=200, verbose_name="filed with")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "consignor",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.enterprise",
                        verbose_name="consignor",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "receiver",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.enterprise",
                        verbose_name="receiver",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "waste_code",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.wastecode",
                        verbose_name="waste code",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical cross-province transfer filing",
                "verbose_name_plural": "historical cross-province transfer filings",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="ManagementClassChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("derived", "Derived from the ledger, installations and licences"),
                            ("override", "Set by an officer"),
                            ("lifted", "Officer's setting lifted"),
                        ],
                        max_length=8,
                        verbose_name="source",
                    ),
                ),
                (
                    "from_class",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("key", "Key supervised"),
                            ("simplified", "Simplified management"),
                            ("registration", "Registration management"),
                        ],
                        max_length=12,
                        verbose_name="class before",
                    ),
                ),
                (
                    "to_class",
                    models.CharField(
                        choices=[
                            ("key", "Key supervised"),
                            ("simplified", "Simplified management"),
                            ("registration", "Registration management"),
                        ],
                        max_length=12,
                        verbose_name="class in force",
                    ),
                ),
                (
                    "derived_class",
                    models.CharField(
                        choices=[
                            ("key", "Key supervised"),
                            ("simplified", "Simplified management"),
                            ("registration", "Registration management"),
                        ],
                        max_length=12,
                        verbose_name="derived class",
                    ),
                ),
                (
                    "largest_annual_t",
                    models.DecimalField(
                        blank=True,
                        decimal_places=4,
                        max_digits=14,
                        null=True,
                        verbose_name="largest annual hazardous quantity (t)",
                    ),
                ),
                ("first_year", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="from year")),
                ("last_year", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="to year")),
                (
                    "operates_own_treatment",
                    models.BooleanField(null=True, verbose_name="own utilization/disposal installation"),
                ),
                ("holds_operating_licence", models.BooleanField(null=True, verbose_name="holds an operating licence")),
                ("reason", models.TextField(verbose_name="reason")),
                ("at", models.DateTimeField(db_index=True, verbose_name="at")),
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
                    "enterprise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="class_changes",
                        to="registry.enterprise",
                        verbose_name="enterprise",
                    ),
                ),
            ],
            options={
                "verbose_name": "management class change",
                "verbose_name_plural": "management class changes",
                "ordering": ["-at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("source", "derived"),
                            models.Q(("actor__isnull", False), models.Q(("reason", ""), _negated=True)),
                            _connector="OR",
                        ),
                        name="class_change_officer_step_has_actor_and_reason",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("source", "derived"), _negated=True),
                            ("largest_annual_t__isnull", False),
                            _connector="OR",
                        ),
                        name="class_change_derivation_has_grounds",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="TransferFiling",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("sync_version", models.BigIntegerField(default=0, editable=False, verbose_name="change version")),
                ("number", models.CharField(max_length=64, unique=True, verbose_name="filing number")),
                (
                    "quantity_t",
                    models.DecimalField(
                        blank=True, decimal_places=4, max_digits=14, null=True, verbose_name="quantity filed (t)"
                    ),
                ),
                ("valid_from", models.DateField(verbose_name="valid from")),
                ("valid_to", models.DateField(verbose_name="valid to")),
                ("filed_with", models.CharField(max_length=200, verbose_name="filed with")),
                (
                    "consignor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.enterprise",
                        verbose_name="consignor",
                    ),
                ),
                (
                    "receiver",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.enterprise",
                        verbose_name="receiver",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
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
                "verbose_name": "cross-province transfer filing",
                "verbose_name_plural": "cross-province transfer filings",
                "ordering": ["-valid_to"],
                "abstract": False,
                "indexes": [
                    models.Index(fields=["updated_at", "id"], name="registry_transferfiling_sync"),
                    models.Index(fields=["sync_version", "id"], name="transferfiling_changes"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("valid_to__gte", models.F("valid_from"))),
                        name="filing_ends_after_it_starts",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("quantity_t__isnull", True), ("quantity_t__gt", 0), _connector="OR"),
                        name="filing_quantity_positive",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("consignor", models.F("receiver")), _negated=True),
                        name="filing_between_two_enterprises",
                    ),
                ],
            },
        ),
        track_changes("registry_transferfiling", collection=None),
    ]
