"""The stock balance equals its ins less its outs to the last of the four decimal places (SQLite, the
embedded default, sums them as binary floats)."""

from decimal import Decimal

import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0008_signer_names"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="stockbalance",
            name="stock_is_in_minus_out",
        ),
        migrations.AddConstraint(
            model_name="stockbalance",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "quantity_t__gte",
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("total_in_t"), "-", models.F("total_out_t")
                            ),
                            "-",
                            models.Value(Decimal("0.00005")),
                        ),
                    ),
                    (
                        "quantity_t__lte",
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("total_in_t"), "-", models.F("total_out_t")
                            ),
                            "+",
                            models.Value(Decimal("0.00005")),
                        ),
                    ),
                ),
                name="stock_is_in_minus_out",
            ),
        ),
    ]
