"""The ledger and the signature trail partitioned by year (docs/scaling.md, "Time partitions"): ledger
entries by occurred_at, manifest signatures by at; PostgreSQL only, SQLite keeps plain tables.

A partitioned table cannot be the target of a foreign key (its unique keys must contain the partition
column), so the two that named ledger entries, a reversal's `reverses` and a container's `ledger_entry`,
become constraint triggers on the referencing table: a row naming a missing entry is refused at commit,
as the foreign key refused it. A reversal must also carry the time of the entry it undoes (the service
always wrote it so), which makes the reversal's unique key (reverses_id, occurred_at), as PostgreSQL
requires it, as strong as the unique reverses_id it replaces. No ON DELETE side is needed: ledger entries
are append-only, their deletion refused by trigger (0005_ledger_reversal). SQLite gets the same checks as
triggers, its plain foreign keys being dropped with the models' db_constraint=False.
"""

import django.db.models.deletion
from django.db import migrations, models

from wasteparks.partitioning import partition_by_time, references
from wasteparks.partitions import LEDGER, MANIFEST_EVENTS

LEDGER_TABLE = "transfers_ledgerentry"


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0010_containers"),
        ("wasteparks", "0011_time_partitions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="container",
            name="ledger_entry",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="containers",
                to="transfers.ledgerentry",
                verbose_name="ledger entry",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="reverses",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversed_by",
                to="transfers.ledgerentry",
                verbose_name="reverses",
            ),
        ),
        partition_by_time(LEDGER),
        partition_by_time(MANIFEST_EVENTS),
        references(
            name="transfers_reversal_names_an_entry",
            table=LEDGER_TABLE,
            column="reverses_id",
            target=LEDGER_TABLE,
            same=("occurred_at",),
            message="a reversal must name an existing ledger entry of its own time",
        ),
        references(
            name="transfers_container_names_an_entry",
            table="transfers_container",
            column="ledger_entry_id",
            target=LEDGER_TABLE,
            message="a container must name an existing ledger entry",
        ),
    ]
