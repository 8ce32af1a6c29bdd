import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

KINDS = [
    ("critical_warning", "Critical warnings"),
    ("warning_digest", "Daily digest of warnings"),
    ("discrepancy", "Quantity discrepancies on my manifests"),
    ("report_returned", "Returned monthly reports"),
    ("deadline", "Approaching deadlines"),
    ("invitation", "Invitations"),
    ("job_finished", "Finished background jobs"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("wasteparks", "0007_outbox_done"),
    ]

    operations = [
        migrations.CreateModel(
            name="BackgroundExport",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("path", models.CharField(max_length=500, verbose_name="list path")),
                ("query", models.TextField(blank=True, verbose_name="list query")),
                ("language", models.CharField(max_length=10, verbose_name="language")),
                ("total_rows", models.PositiveIntegerField(default=0, verbose_name="rows")),
                ("task_id", models.UUIDField(blank=True, editable=False, null=True, verbose_name="task id")),
                (
                    "status",
                    models.CharField(
                        choices=[("queued", "Being built"), ("ready", "Ready"), ("failed", "Failed")],
                        default="queued",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                ("expires_at", models.DateTimeField(verbose_name="expires at")),
                ("filename", models.CharField(blank=True, max_length=255, verbose_name="file name")),
                ("content_type", models.CharField(blank=True, max_length=120, verbose_name="content type")),
                ("content", models.BinaryField(null=True, verbose_name="content")),
                ("size", models.PositiveBigIntegerField(default=0, verbose_name="size (bytes)")),
                ("error", models.TextField(blank=True, verbose_name="error")),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "verbose_name": "background export",
                "verbose_name_plural": "background exports",
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["owner", "-created_at"], name="export_of_owner")],
            },
        ),
        migrations.CreateModel(
            name="MailPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=KINDS, max_length=30, verbose_name="kind")),
                ("by_mail", models.BooleanField(default=True, verbose_name="by mail")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "mail preference",
                "verbose_name_plural": "mail preferences",
                "constraints": [models.UniqueConstraint(fields=("user", "kind"), name="mail_preference_once_per_kind")],
            },
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=KINDS, max_length=30, verbose_name="kind")),
                ("title_zh", models.CharField(max_length=300, verbose_name="title (Chinese)")),
                ("title_en", models.CharField(max_length=300, verbose_name="title (English)")),
                ("link", models.CharField(blank=True, max_length=500, verbose_name="link")),
                ("dedup_key", models.CharField(blank=True, max_length=200, verbose_name="deduplication key")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "notification",
                "verbose_name_plural": "notifications",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["user", "-created_at", "-id"], name="notification_inbox"),
                    models.Index(
                        condition=models.Q(("read_at__isnull", True)), fields=["user"], name="notification_unread"
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("dedup_key", ""), _negated=True),
                        fields=("user", "dedup_key"),
                        name="notification_once_per_key",
                    )
                ],
            },
        ),
    ]
