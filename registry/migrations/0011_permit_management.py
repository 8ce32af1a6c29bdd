"""Permits and transfer approvals get a status workflow: applied, recorded pending verification, valid,
refused, suspended, revoked (existing rows are valid licences); an application has no number yet."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0010_management_class"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="permit",
            name="permit_number_unique_per_kind",
        ),
        migrations.AddField(
            model_name="historicalpermit",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="verified or decided at"),
        ),
        migrations.AddField(
            model_name="historicalpermit",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="verified or decided by",
            ),
        ),
        migrations.AddField(
            model_name="historicalpermit",
            name="renews",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="registry.permit",
                verbose_name="renews",
            ),
        ),
        migrations.AddField(
            model_name="historicalpermit",
            name="status",
            field=models.CharField(
                choices=[
                    ("applied", "Applied for"),
                    ("pending", "Recorded, pending verification"),
                    ("valid", "Valid"),
                    ("refused", "Refused"),
                    ("suspended", "Suspended"),
                    ("revoked", "Revoked"),
                ],
                default="valid",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="historicalpermit",
            name="status_reason",
            field=models.TextField(blank=True, verbose_name="reason for the status"),
        ),
        migrations.AddField(
            model_name="historicaltransferapproval",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="verified or decided at"),
        ),
        migrations.AddField(
            model_name="historicaltransferapproval",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="verified or decided by",
            ),
        ),
        migrations.AddField(
            model_name="historicaltransferapproval",
            name="status",
            field=models.CharField(
                choices=[
                    ("applied", "Applied for"),
                    ("pending", "Recorded, pending verification"),
                    ("valid", "Valid"),
                    ("refused", "Refused"),
                    ("suspended", "Suspended"),
                    ("revoked", "Revoked"),
                ],
                default="valid",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="historicaltransferapproval",
            name="status_reason",
            field=models.TextField(blank=True, verbose_name="reason for the status"),
        ),
        migrations.AddField(
            model_name="permit",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="verified or decided at"),
        ),
        migrations.AddField(
            model_name="permit",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="verified or decided by",
            ),
        ),
        migrations.AddField(
            model_name="permit",
            name="renews",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="renewal",
                to="registry.permit",
                verbose_name="renews",
            ),
        ),
        migrations.AddField(
            model_name="permit",
            name="status",
            field=models.CharField(
                choices=[
                    ("applied", "Applied for"),
                    ("pending", "Recorded, pending verification"),
                    ("valid", "Valid"),
                    ("refused", "Refused"),
                    ("suspended", "Suspended"),
                    ("revoked", "Revoked"),
                ],
                default="valid",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="permit",
            name="status_reason",
            field=models.TextField(blank=True, verbose_name="reason for the status"),
        ),
        migrations.AddField(
            model_name="transferapproval",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="verified or decided at"),
        ),
        migrations.AddField(
            model_name="transferapproval",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="verified or decided by",
            ),
        ),
        migrations.AddField(
            model_name="transferapproval",
            name="status",
            field=models.CharField(
                choices=[
                    ("applied", "Applied for"),
                    ("pending", "Recorded, pending verification"),
                    ("valid", "Valid"),
                    ("refused", "Refused"),
                    ("suspended", "Suspended"),
                    ("revoked", "Revoked"),
                ],
                default="valid",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="transferapproval",
            name="status_reason",
            field=models.TextField(blank=True, verbose_name="reason for the status"),
        ),
        migrations.AlterField(
            model_name="historicaltransferapproval",
            name="number",
            field=models.CharField(blank=True, max_length=64, verbose_name="number"),
        ),
        migrations.AlterField(
            model_name="transferapproval",
            name="number",
            field=models.CharField(blank=True, max_length=64, verbose_name="number"),
        ),
        migrations.AddConstraint(
            model_name="permit",
            constraint=models.UniqueConstraint(
                condition=models.Q(("number", ""), _negated=True),
                fields=("kind", "number"),
                name="permit_number_unique_per_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="permit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ("applied", "refused")), models.Q(("number", ""), _negated=True), _connector="OR"
                ),
                name="permit_numbered_unless_applied",
            ),
        ),
        migrations.AddConstraint(
            model_name="transferapproval",
            constraint=models.UniqueConstraint(
                condition=models.Q(("number", ""), _negated=True), fields=("number",), name="approval_number_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="transferapproval",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ("applied", "refused")), models.Q(("number", ""), _negated=True), _connector="OR"
                ),
                name="approval_numbered_unless_applied",
            ),
        ),
    ]
