"""Finer planner statistics for the manifest's carrier and receiver columns (PostgreSQL only).

A province has a few hundred carriers and receivers, so these columns hold few distinct values. With the
default statistics PostgreSQL keeps 100 of them as its most common values and assumes every other id is
as frequent as the rest: for a park officer's list of a few hundred enterprise ids it then expects nearly
every manifest to match `carrier_id IN (...)`, and plans a park's list as a scan of the whole table
(bench/RESULTS.md, B5). Keeping up to 2,000 values covers every carrier and receiver of a province.
"""

from django.db import migrations

COLUMNS = ("carrier_id", "receiver_id")


def set_statistics(apps, schema_editor, target: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name("transfers_manifest")
    for column in COLUMNS:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {schema_editor.quote_name(column)} SET STATISTICS {target}")


class Migration(migrations.Migration):
    dependencies = [("transfers", "0002_manifest_newest_first")]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: set_statistics(apps, schema_editor, 2000),
            lambda apps, schema_editor: set_statistics(apps, schema_editor, -1),
        ),
    ]
