"""Time partitions (docs/scaling.md, "Time partitions"): the one function that makes the partitions of every
time-partitioned table (wasteparks/partitions.py), the append-only record of partitions detached after
their retention, and the outbox partitioned by month of created_at. The function and the partitions are
PostgreSQL's; on SQLite only the record's table is made."""

import django.utils.timezone
from django.db import migrations, models

from wasteparks.append_only import append_only
from wasteparks.partitioning import partition_by_time
from wasteparks.partitions import CREATE_FUNCTION_SQL, DROP_FUNCTION_SQL, OUTBOX


def _on_postgresql(statement: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                # No parameters: the function's body has format() placeholders of its own.
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("wasteparks", "0010_webhooks")]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE_FUNCTION_SQL), _on_postgresql(DROP_FUNCTION_SQL)),
        migrations.CreateModel(
            name="DetachedPartition",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("table", models.CharField(max_length=63)),
                ("partition", models.CharField(max_length=63)),
                ("start", models.DateTimeField()),
                ("end", models.DateTimeField()),
                ("rows", models.PositiveBigIntegerField()),
                ("id_runs", models.JSONField(default=list)),
                ("detached_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["table", "start"]},
        ),
        append_only("wasteparks_detachedpartition"),
        partition_by_time(OUTBOX),
    ]
