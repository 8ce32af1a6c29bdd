"""The documented backup and restore (docs/operations.md) loses nothing: every row of every table
comes back in a fresh database."""

import shutil
import subprocess
import uuid

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from tests import factories as f
from tests.transfers.factories import draft, generate

pytestmark = pytest.mark.django_db(transaction=True)


def connection_arguments(dbname: str) -> dict:
    database = settings.DATABASES["default"]
    return {
        "host": database["HOST"] or "127.0.0.1",
        "port": database["PORT"] or 5432,
        "user": database["USER"],
        "password": database["PASSWORD"] or None,
        "dbname": dbname,
    }


def table_fingerprints(dbname: str) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent checksum of the content of every table."""
    with psycopg2.connect(**connection_arguments(dbname)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall()]
        result = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') "
                f'FROM "{table}" AS t'
            )
            result[table] = cursor.fetchone()
    return result


def run(*command: str) -> None:
    database = settings.DATABASES["default"]
    environment = {
        "PGHOST": database["HOST"] or "127.0.0.1",
        "PGPORT": str(database["PORT"] or 5432),
        "PGUSER": database["USER"],
        "PATH": "/usr/bin:/bin",
    }
    if database["PASSWORD"]:
        environment["PGPASSWORD"] = database["PASSWORD"]
    subprocess.run(command, check=True, env=environment, capture_output=True, text=True, timeout=300)


@pytest.fixture
def restored_database():
    name = f"wasteparks_restore_{uuid.uuid4().hex[:8]}"
    yield name
    run("dropdb", "--if-exists", name)


def test_a_dump_restored_into_a_fresh_database_holds_every_row(
    tmp_path, restored_database, enterprise_x, carrier_c, receiver_r, preparer_x
):
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        assert shutil.which(tool), f"{tool} is needed for backups (Debian package postgresql-client)"
    store = f.FacilityFactory(enterprise=enterprise_x)
    generate(actor=preparer_x, facility=store, code="900-249-08", quantity="30")
    for _ in range(3):
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=store)
    source = connection.settings_dict["NAME"]
    before = table_fingerprints(source)
    assert before["transfers_manifest"][0] == 3
    assert before["registry_enterprise"][0] > 0

    dump = tmp_path / "wasteparks.dump"
    # The procedure of docs/operations.md: custom format, then restore into an empty database.
    run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source)
    run("createdb", restored_database)
    run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_database}", str(dump))

    assert table_fingerprints(restored_database) == before
