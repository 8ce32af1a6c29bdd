"""Ledger entries are append-only; a wrong one is corrected by a reversing entry (`reverses`).

The database refuses UPDATE and DELETE on ledger entries, as it does for signatures and status logs
(wasteparks/migrations/0002_tamper_evidence.py, whose trigger function this reuses on PostgreSQL). No
code path changes a ledger row after its insert: the manifest line is set in the INSERT itself. On SQLite
(the embedded default) the same refusal is a pair of triggers, like the existing ones there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


TABLE = "transfers_ledgerentry"
FORWARD = {
    "postgresql": [
        f"CREATE TRIGGER wasteparks_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION wasteparks_refuse_change()"
    ],
    "sqlite": [
        f"CREATE TRIGGER wasteparks_append_only_{op.lower()}_{TABLE} BEFORE {op} ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, 'tamper evidence: {op} on {TABLE} refused; these rows are append-only'); END"
        for op in ("UPDATE", "DELETE")
    ],
}
REVERSE = {
    "postgresql": [f"DROP TRIGGER IF EXISTS wasteparks_append_only ON {TABLE}"],
    "sqlite": [f"DROP TRIGGER IF EXISTS wasteparks_append_only_{op}_{TABLE}" for op in ("update", "delete")],
}


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


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
        migrations.RunPython(_run(FORWARD), _run(REVERSE)),
    ]
