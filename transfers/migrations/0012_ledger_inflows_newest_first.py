"""A stock key's standing inflows newest first in the FIFO order, for the oldest tonne on hand
(`StockBalanceQuerySet.with_oldest_on_hand`). On PostgreSQL an index of the partitioned ledger: every
year's partition gets it, those made later too."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0011_time_partitions"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                models.F("enterprise"),
                models.F("facility"),
                models.F("waste_code"),
                models.OrderBy(
                    django.db.models.functions.comparison.Coalesce("stock_since", "occurred_at"), descending=True
                ),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("reverses__isnull", True), ("stage__in", ["generated", "received", "stored_in"])),
                name="ledger_inflows_newest_first",
            ),
        ),
    ]
