"""The parks each manifest concerns, one row per park of its parties, written for every manifest there is
and kept by triggers from then on (transfers/manifest_parks.py): a park officer's list reads its park's
newest manifests from one index."""

import django.db.models.deletion
from django.db import migrations, models

from transfers.manifest_parks import keep_manifest_parks


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_devices"),
        ("transfers", "0012_ledger_inflows_newest_first"),
    ]

    operations = [
        migrations.CreateModel(
            name="ManifestPark",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "manifest", "park", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("created_at", models.DateTimeField()),
                (
                    "manifest",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="park_links",
                        to="transfers.manifest",
                    ),
                ),
                (
                    "park",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.park",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["park", "created_at", "manifest"], name="manifest_parks_newest_first")],
            },
        ),
        keep_manifest_parks(),
    ]
