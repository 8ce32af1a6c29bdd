"""The audit hash chain (wasteparks/audit.py): its links are append-only in the database too."""

import django.utils.timezone
from django.db import migrations, models

from wasteparks.append_only import append_only


TABLE = "wasteparks_auditlink"


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
        append_only(TABLE),
    ]
