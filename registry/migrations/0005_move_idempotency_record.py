"""The API's idempotency records now belong to the project package (state only).

wasteparks/0003_idempotency_record took the model over with its table (`registry_idempotencyrecord`);
this removes it from the registry's state and leaves the table and its rows alone.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_hazard_pattern"),
        ("wasteparks", "0003_idempotency_record"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
