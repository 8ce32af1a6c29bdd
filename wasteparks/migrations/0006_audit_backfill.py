"""Link the rows written before the audit hash chain existed (wasteparks/audit.py, `backfill()`), so that
verify_audit covers every row of the tracked tables.

Runs once per database, as a migration does: linking vouches for a row as it is, so it is not something
to repeat later. It runs through today's models because the digest is that of the columns `audit.track`
names today; it therefore comes after the latest migration of the apps that track tables, and reads those
columns only for rows that have no link (none on a new database). Reversing it leaves the links: the
chain is append-only.
"""

from django.db import migrations


def link_rows_written_before_the_chain(apps, schema_editor) -> None:
    from wasteparks import audit

    audit.backfill()


class Migration(migrations.Migration):

    dependencies = [
        ('wasteparks', '0005_change_cursor'),
        ('transfers', '0007_ledger_moves'),
        ('reporting', '0005_change_versions'),
    ]

    operations = [
        migrations.RunPython(link_rows_written_before_the_chain, migrations.RunPython.noop),
    ]
