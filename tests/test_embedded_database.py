"""The embedded default (SQLite): every trigger its migrations make survives table rebuilds, its float
sums keep the stock check, and its triggers keep a manifest's park links."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings

from wasteparks.models import Timestamped

EMBEDDED_ENV = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "wasteparks.settings", "DEBUG": "1"}


def run_on_sqlite(path, *arguments: str) -> str:
    """Python with `arguments` against the SQLite file at `path`, as the embedded default runs; its output."""
    result = subprocess.run(
        [sys.executable, *arguments],
        cwd=settings.BASE_DIR,
        env={**EMBEDDED_ENV, "DATABASE_URL": f"sqlite:///{path}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def migrate_fresh_sqlite(path) -> None:
    run_on_sqlite(path, "manage.py", "migrate", "-v0")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    path = tmp_path_factory.mktemp("embedded") / "embedded.sqlite3"
    migrate_fresh_sqlite(path)
    return path


def test_a_developer_migrating_the_embedded_database_gets_every_synced_table_stamped(embedded):
    path = embedded
    with sqlite3.connect(path) as connection:
        triggers = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    synced = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Timestamped) and not model._meta.abstract
    )
    unstamped = [
        table
        for table in synced
        if not {f"wasteparks_sync_insert_{table}", f"wasteparks_sync_update_{table}"} <= triggers
    ]
    assert unstamped == []
    # Names copied from another table follow it (the manifest's party names, the report's enterprise).
    assert {"wasteparks_follow_transfers_manifest", "wasteparks_follow_reporting_monthlyreport"} <= triggers
    # A manifest's park links follow its parties and their parks (transfers/manifest_parks.py).
    assert {
        "wasteparks_manifest_parks_insert",
        "wasteparks_manifest_parks_update",
        "wasteparks_enterprise_moved",
    } <= triggers
    # Append-only records stay append-only after their tables were rebuilt.
    assert "wasteparks_append_only_update_transfers_manifestevent" in triggers


def test_a_clerk_booking_tenths_into_the_embedded_database_keeps_a_balanced_stock(embedded):
    """SQLite sums quantities as binary floats (0.1 + 0.2 is not 0.3 there); the balance's check holds to
    the last of the four decimal places, and still refuses a balance off by one in that place."""
    with sqlite3.connect(embedded) as connection:
        connection.execute(
            "INSERT INTO transfers_stockbalance (created_at, updated_at, sync_version, enterprise_id, facility_id,"
            " waste_code_id, quantity_t, total_in_t, total_out_t) VALUES ('2026-01-01', '2026-01-01', 0, 1, 1, 1,"
            " 0, 0, 0)"
        )
        for tonnes in ("0.1", "0.2", "0.0001", "1234.5678", "0.3"):
            connection.execute(
                "UPDATE transfers_stockbalance SET quantity_t = quantity_t + ?, total_in_t = total_in_t + ?",
                (float(tonnes), float(tonnes)),
            )
            connection.execute(
                "UPDATE transfers_stockbalance SET quantity_t = quantity_t - 0.1, total_out_t = total_out_t + 0.1"
            )
        with pytest.raises(sqlite3.IntegrityError, match="stock_is_in_minus_out"):
            connection.execute("UPDATE transfers_stockbalance SET quantity_t = quantity_t + 0.0001")


LINKS_ON_SQLITE = """
import json
import django
django.setup()
from django.conf import settings
from django.utils import timezone
from registry.catalogue import load_catalogue
from registry.models import Enterprise
from tests import factories as f
from transfers.models import Manifest, ManifestPark

load_catalogue(settings.REFERENCE_DIR)
park_a, park_b = f.ParkFactory(), f.ParkFactory()
consignor, carrier = f.EnterpriseFactory(park=park_a), f.EnterpriseFactory(park=park_a, is_carrier=True)
receiver = f.EnterpriseFactory(park=park_a, is_receiver=True)
manifest = Manifest.objects.create(waste_class="hazardous", consignor=consignor, carrier=carrier, receiver=receiver,
    planned_date=timezone.localdate(), purpose="utilization", created_by=f.UserFactory())
seen = lambda: sorted(ManifestPark.objects.values_list("park_id", flat=True))
steps = [seen()]
Enterprise.objects.filter(pk=carrier.pk).update(park=park_b)
steps.append(seen())
Manifest.objects.filter(pk=manifest.pk).update(carrier=consignor)
steps.append(seen())
print(json.dumps({"steps": steps, "a": park_a.pk, "b": park_b.pk}))
"""


def test_a_manifest_on_the_embedded_database_keeps_its_park_links(embedded, tmp_path):
    """The same triggers on SQLite (transfers/manifest_parks.py): a new manifest is linked to its park once,
    its carrier's move to park B adds B, and a carrier from park A again drops it."""
    path = tmp_path / "links.sqlite3"
    shutil.copy(embedded, path)
    seen = json.loads(run_on_sqlite(path, "-c", LINKS_ON_SQLITE).strip().splitlines()[-1])
    a, b = seen["a"], seen["b"]
    assert seen["steps"] == [[a], sorted([a, b]), [a]]
