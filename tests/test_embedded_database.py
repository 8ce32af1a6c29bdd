"""The embedded default (SQLite): every trigger its migrations make survives table rebuilds, and its float
sums keep the stock check."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings

from wasteparks.models import Timestamped


def migrate_fresh_sqlite(path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "wasteparks.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{path}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


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
