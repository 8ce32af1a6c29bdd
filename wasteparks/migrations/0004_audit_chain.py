"""The audit hash chain (wasteparks/audit.py): its links are append-only in the database too."""

import django.utils.timezone
from django.db import migrations, models


TABLE = "wasteparks_auditlink"
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
        ('wasteparks', '0003_idempotency_record'),
        ('wasteparks', '0002_tamper_evidence'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sequence', models.PositiveBigIntegerField(unique=True, verbose_name='sequence')),
                ('table', models.CharField(max_length=100, verbose_name='table')),
                ('row_id', models.PositiveBigIntegerField(verbose_name='row id')),
                ('row_digest', models.CharField(max_length=64, verbose_name='row digest')),
                ('previous_hash', models.CharField(max_length=64, verbose_name='previous link hash')),
                ('link_hash', models.CharField(max_length=64, verbose_name='link hash')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
            ],
            options={
                'verbose_name': 'audit link',
                'verbose_name_plural': 'audit links',
                'ordering': ['sequence'],
                'indexes': [models.Index(fields=['table', 'row_id'], name='audit_link_row')],
            },
        ),
        migrations.RunPython(_run(FORWARD), _run(REVERSE)),
    ]
