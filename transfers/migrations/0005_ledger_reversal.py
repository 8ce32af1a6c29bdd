"""Ledger entries are append-only; a wrong one is corrected by a reversing entry (`reverses`).

The database refuses UPDATE and DELETE on ledger entries, as it does for signatures and status logs
(wasteparks/migrations/0002_tamper_evidence.py, whose trigger function this reuses on PostgreSQL). No
code path changes a ledger row after its insert: the manifest line is set in the INSERT itself. On SQLite
(the embedded default) the same refusal is a pair of triggers, like the existing ones there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from wasteparks.append_only import append_only


TABLE = "transfers_ledgerentry"


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0005_move_idempotency_record'),
        ('transfers', '0004_event_action_and_role_choices'),
        ('wasteparks', '0002_tamper_evidence'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='ledgerentry',
            name='ledger_quantity_positive',
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='reverses',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='transfers.ledgerentry', verbose_name='reverses'),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('quantity_t__gt', 0), ('reverses__isnull', True)), models.Q(('quantity_t__lt', 0), ('reverses__isnull', False)), _connector='OR'), name='ledger_quantity_positive'),
        ),
        append_only(TABLE),
    ]
