"""The API's idempotency records move from the registry app to the project package (state only).

The table keeps its name (`registry_idempotencyrecord`, now the model's db_table) and nothing in the
database changes: this migration adds the model to the project package's state, and
registry/0005_move_idempotency_record removes it from the registry's state once this one has run.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("wasteparks", "0002_tamper_evidence"),
        # The table was created by registry/0002_idempotency_record.
        ("registry", "0004_hazard_pattern"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=255, verbose_name="idempotency key")),
                        ("fingerprint", models.CharField(max_length=64, verbose_name="request fingerprint")),
                        (
                            "response_status",
                            models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="response status"),
                        ),
                        ("response_body", models.JSONField(blank=True, null=True, verbose_name="response body")),
                        (
                            "response_headers",
                            models.JSONField(blank=True, default=dict, verbose_name="response headers"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at"),
                        ),
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
                        "verbose_name": "idempotency record",
                        "verbose_name_plural": "idempotency records",
                        "db_table": "registry_idempotencyrecord",
                        "constraints": [
                            models.UniqueConstraint(fields=("user", "key"), name="idempotency_key_unique_per_user")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
