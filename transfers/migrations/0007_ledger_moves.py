"""A move between two stores of one enterprise is one action: its legs (stored_out at the source, stored_in at
the destination) share a move id, and each incoming leg keeps when its tonnes first came into stock, so the
one-year storage clock does not restart at a move. Rows written before stay as they are (no move id).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_change_versions'),
        ('transfers', '0006_change_versions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='ledgerentry',
            name='move',
            field=models.UUIDField(blank=True, db_index=True, null=True, verbose_name='move'),
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='stock_since',
            field=models.DateTimeField(blank=True, null=True, verbose_name='in stock since'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='stage',
            field=models.CharField(choices=[('generated', 'Generated'), ('stored_in', 'Moved in from another own store'), ('stored_out', 'Moved out to another own store'), ('utilized_in_house', 'Utilized in house'), ('disposed_in_house', 'Disposed of in house'), ('shipped', 'Shipped'), ('received', 'Received')], db_index=True, max_length=20, verbose_name='stage'),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(('move__isnull', True), ('stage__in', frozenset(['stored_in', 'stored_out'])), _connector='OR'), name='ledger_move_only_on_move_legs'),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(('stock_since__isnull', True), models.Q(('move__isnull', False), ('stage', 'stored_in')), _connector='OR'), name='ledger_stock_since_only_on_moved_in'),
        ),
    ]
