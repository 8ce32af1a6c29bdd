"""Reporting duties by management class: a report covers a month, a quarter or a year (its kind), and
reminders are kept per report kind; annual hazardous waste management plans with their lines and status log."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from wasteparks.sync import track_changes


KINDS = [(1, "Monthly report"), (3, "Quarterly report"), (12, "Annual report")]


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0007_medical_plant_thresholds"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="monthlyreport",
            name="one_monthly_report_per_enterprise_and_period",
        ),
        migrations.RemoveConstraint(
            model_name="reportreminder",
            name="one_report_reminder_per_kind_and_period",
        ),
        migrations.AddField(
            model_name="monthlyreport",
            name="report_kind",
            field=models.PositiveSmallIntegerField(choices=KINDS, default=1, verbose_name="report kind"),
        ),
        migrations.AddField(
            model_name="reportreminder",
            name="report_kind",
            field=models.PositiveSmallIntegerField(choices=KINDS, default=1, verbose_name="report kind"),
        ),
        migrations.AddConstraint(
            model_name="monthlyreport",
            constraint=models.UniqueConstraint(
                fields=("enterprise", "year", "month", "report_kind"),
                name="one_report_per_enterprise_and_period",
                violation_error_message="This enterprise already has a report for this period.",
            ),
        ),
        migrations.AddConstraint(
            model_name="monthlyreport",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("report_kind", 1),
                    models.Q(("month__in", [1, 4, 7, 10]), ("report_kind", 3)),
                    models.Q(("month", 1), ("report_kind", 12)),
                    _connector="OR",
                ),
                name="report_period_matches_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="reportreminder",
            constraint=models.UniqueConstraint(
                fields=("enterprise", "year", "month", "report_kind", "kind"),
                name="one_report_reminder_per_kind_and_period",
            ),
        ),
        migrations.CreateModel(
            name="ManagementPlan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("sync_version", models.BigIntegerField(default=0, editable=False, verbose_name="change version")),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted"),
                            ("accepted", "Accepted"),
                            ("returned", "Returned"),
                        ],
                        db_index=True,
                        default="draft",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("is_late", models.BooleanField(default=False, verbose_name="filed late")),
                ("submitted_at", models.DateTimeField(blank=True, null=True, verbose_name="submitted at")),
                ("reviewed_at", models.DateTimeField(blank=True, null=True, verbose_name="reviewed at")),
                ("review_comment", models.TextField(blank=True, verbose_name="review comment")),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "enterprise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="management_plans",
                        to="registry.enterprise",
                        verbose_name="enterprise",
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reviewed by",
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="submitted by",
                    ),
                ),
            ],
            options={
                "verbose_name": "management plan",
                "verbose_name_plural": "management plans",
                "ordering": ["-year", "enterprise_id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ManagementPlanEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("create", "Created from the ledger"),
                            ("prefill", "Prefill refreshed"),
                            ("adjust", "Lines adjusted"),
                            ("submit", "Submitted"),
                            ("accept", "Accepted"),
                            ("return", "Returned"),
                        ],
                        max_length=16,
                        verbose_name="action",
                    ),
                ),
                (
                    "from_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted"),
                            ("accepted", "Accepted"),
                            ("returned", "Returned"),
                        ],
                        max_length=10,
                        verbose_name="from status",
                    ),
                ),
                (
                    "to_status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted"),
                            ("accepted", "Accepted"),
                            ("returned", "Returned"),
                        ],
                        max_length=10,
                        verbose_name="to status",
                    ),
                ),
                ("comment", models.TextField(blank=True, verbose_name="comment")),
                ("at", models.DateTimeField(db_index=True, verbose_name="at")),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="reporting.managementplan",
                        verbose_name="plan",
                    ),
                ),
            ],
            options={
                "verbose_name": "management plan event",
                "verbose_name_plural": "management plan events",
                "ordering": ["at", "id"],
            },
        ),
        migrations.CreateModel(
            name="ManagementPlanLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "generation_t",
                    models.DecimalField(
                        decimal_places=4, default=0, max_digits=14, verbose_name="planned generation (t)"
                    ),
                ),
                (
                    "storage_t",
                    models.DecimalField(
                        decimal_places=4, default=0, max_digits=14, verbose_name="planned storage at year end (t)"
                    ),
                ),
                (
                    "transfer_t",
                    models.DecimalField(
                        decimal_places=4, default=0, max_digits=14, verbose_name="planned transfer out (t)"
                    ),
                ),
                (
                    "utilization_t",
                    models.DecimalField(
                        decimal_places=4, default=0, max_digits=14, verbose_name="planned utilization (t)"
                    ),
                ),
                (
                    "disposal_t",
                    models.DecimalField(
                        decimal_places=4, default=0, max_digits=14, verbose_name="planned disposal (t)"
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="reporting.managementplan",
                        verbose_name="plan",
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
                "verbose_name": "management plan line",
                "verbose_name_plural": "management plan lines",
                "ordering": ["plan_id", "waste_code__code"],
            },
        ),
        migrations.AddIndex(
            model_name="managementplan",
            index=models.Index(fields=["updated_at", "id"], name="reporting_managementplan_sync"),
        ),
        migrations.AddIndex(
            model_name="managementplan",
            index=models.Index(fields=["sync_version", "id"], name="managementplan_changes"),
        ),
        migrations.AddConstraint(
            model_name="managementplan",
            constraint=models.UniqueConstraint(
                fields=("enterprise", "year"),
                name="one_management_plan_per_enterprise_and_year",
                violation_error_message="This enterprise already has a management plan for this year.",
            ),
        ),
        migrations.AddConstraint(
            model_name="managementplan",
            constraint=models.CheckConstraint(
                condition=models.Q(("year__gte", 2000), ("year__lte", 2100)), name="plan_year_plausible"
            ),
        ),
        migrations.AddConstraint(
            model_name="managementplanline",
            constraint=models.UniqueConstraint(fields=("plan", "waste_code"), name="plan_line_one_per_code"),
        ),
        migrations.AddConstraint(
            model_name="managementplanline",
            constraint=models.CheckConstraint(
                condition=models.Q(("generation_t__gte", 0)), name="plan_line_generation_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="managementplanline",
            constraint=models.CheckConstraint(
                condition=models.Q(("storage_t__gte", 0)), name="plan_line_storage_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="managementplanline",
            constraint=models.CheckConstraint(
                condition=models.Q(("transfer_t__gte", 0)), name="plan_line_transfer_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="managementplanline",
            constraint=models.CheckConstraint(
                condition=models.Q(("utilization_t__gte", 0)), name="plan_line_utilization_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="managementplanline",
            constraint=models.CheckConstraint(
                condition=models.Q(("disposal_t__gte", 0)), name="plan_line_disposal_not_negative"
            ),
        ),
        track_changes("reporting_managementplan", collection="management-plans", enterprise="enterprise_id"),
    ]
