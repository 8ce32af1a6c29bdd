"""Warning events partitioned by year of `at` (docs/scaling.md, "Time partitions"; PostgreSQL only), and the
readings' own partitioning function retired: the readings' months are made by the function every
time-partitioned table uses (wasteparks/partitions.py), and by its daily task, which replaces the readings'
own task in beat's database schedule."""

import importlib

from django.db import migrations

from wasteparks.partitioning import partition_by_time
from wasteparks.partitions import WARNING_EVENTS

# The readings' function as reporting 0009 made it: made again if this migration is reversed.
_DEVICE_RULES = importlib.import_module("reporting.migrations.0009_device_rules")


def _on_postgresql(statement: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                # No parameters: the function's body has format() placeholders of its own.
                cursor.execute(statement)

    return run


def forget_the_readings_own_task(apps, schema_editor):
    """Beat installs its schedule into the database and never removes an entry left out of it."""
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    periodic_task.objects.filter(task="reporting.tasks.telemetry.create_reading_partitions").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0013_exchange"),
        ("wasteparks", "0011_time_partitions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        partition_by_time(WARNING_EVENTS),
        migrations.RunPython(
            _on_postgresql(_DEVICE_RULES.DROP_FUNCTION_SQL), _on_postgresql(_DEVICE_RULES.CREATE_FUNCTION_SQL)
        ),
        migrations.RunPython(forget_the_readings_own_task, migrations.RunPython.noop),
    ]
