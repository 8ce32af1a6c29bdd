"""Webhooks: API clients' subscriptions and their deliveries; the inbox kind that tells of a disabled one."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("wasteparks", "0009_login_audit"), ("registry", "0013_devices")]

    operations = [
        migrations.AlterField(
            model_name="mailpreference",
            name="kind",
            field=models.CharField(
                choices=[
                    ("critical_warning", "Critical warnings"),
                    ("warning_digest", "Daily digest of warnings"),
                    ("discrepancy", "Quantity discrepancies on my manifests"),
                    ("report_returned", "Returned monthly reports"),
                    ("deadline", "Approaching deadlines"),
                    ("invitation", "Invitations"),
                    ("job_finished", "Finished background jobs"),
                    ("webhook_disabled", "Disabled webhook subscriptions"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("critical_warning", "Critical warnings"),
                    ("warning_digest", "Daily digest of warnings"),
                    ("discrepancy", "Quantity discrepancies on my manifests"),
                    ("report_returned", "Returned monthly reports"),
                    ("deadline", "Approaching deadlines"),
                    ("invitation", "Invitations"),
                    ("job_finished", "Finished background jobs"),
                    ("webhook_disabled", "Disabled webhook subscriptions"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
        migrations.CreateModel(
            name="WebhookSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("url", models.URLField(max_length=500, verbose_name="target URL")),
                ("event_types", models.JSONField(default=list, verbose_name="event types")),
                ("secret", models.CharField(editable=False, max_length=100, verbose_name="signing secret")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("disabled_at", models.DateTimeField(blank=True, null=True, verbose_name="disabled at")),
                ("disabled_reason", models.CharField(blank=True, max_length=300, verbose_name="reason for disabling")),
                ("consecutive_failures", models.PositiveIntegerField(default=0, verbose_name="consecutive failures")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="webhook_subscriptions",
                        to="registry.apiclient",
                        verbose_name="API client",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook subscription",
                "verbose_name_plural": "webhook subscriptions",
                "ordering": ["id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.UUIDField(default=uuid.uuid4, editable=False, verbose_name="event id")),
                (
                    "event_type",
                    models.CharField(
                        choices=[
                            ("manifest.changed", "A manifest changed status"),
                            ("report.changed", "A monthly report changed status"),
                            ("warning.changed", "An officer acted on a warning"),
                        ],
                        max_length=40,
                        verbose_name="event type",
                    ),
                ),
                ("payload", models.JSONField(verbose_name="payload")),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed")],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                (
                    "last_status_code",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="last status code"),
                ),
                ("response_excerpt", models.CharField(blank=True, max_length=500, verbose_name="response excerpt")),
                (
                    "last_duration_ms",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="duration of the last attempt (ms)"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                ("last_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="last attempt at")),
                ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="delivered at")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="next attempt at")),
                (
                    "subscription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="wasteparks.webhooksubscription",
                        verbose_name="subscription",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-id"],
                "indexes": [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")],
            },
        ),
    ]
