import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reporting", "0011_route_rules")]

    operations = [
        migrations.CreateModel(
            name="CarbonFactorEdition",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(max_length=40, unique=True, verbose_name="edition")),
                ("loaded_from", models.CharField(blank=True, max_length=300, verbose_name="loaded from")),
                ("loaded_at", models.DateTimeField(auto_now_add=True, verbose_name="loaded at")),
            ],
            options={
                "verbose_name": "carbon factor edition",
                "verbose_name_plural": "carbon factor editions",
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="CarbonFactor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("route", models.CharField(max_length=40, verbose_name="route")),
                (
                    "kind",
                    models.CharField(
                        choices=[("avoided", "Avoided by utilization"), ("transport", "Emitted by transport")],
                        max_length=12,
                        verbose_name="kind",
                    ),
                ),
                ("replaces", models.CharField(blank=True, max_length=200, verbose_name="replaces")),
                ("factor", models.DecimalField(decimal_places=9, max_digits=15, verbose_name="factor")),
                ("unit", models.CharField(max_length=30, verbose_name="unit")),
                ("source", models.CharField(max_length=500, verbose_name="source")),
                ("url", models.URLField(blank=True, max_length=500, verbose_name="URL")),
                ("note", models.CharField(blank=True, max_length=500, verbose_name="note")),
                (
                    "edition",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="factors",
                        to="reporting.carbonfactoredition",
                        verbose_name="edition",
                    ),
                ),
            ],
            options={
                "verbose_name": "carbon factor",
                "verbose_name_plural": "carbon factors",
                "ordering": ["edition", "route"],
                "constraints": [
                    models.UniqueConstraint(fields=("edition", "route"), name="carbon_factor_route_once_per_edition"),
                    models.CheckConstraint(condition=models.Q(("factor__gt", 0)), name="carbon_factor_positive"),
                ],
            },
        ),
    ]
