"""The migrations that partition the ledger, the signature and warning trails and the outbox of a database
already in use (PostgreSQL): back to plain tables and forward again, every row keeps its id, its values
and its change version, the ids go on past the old ones, every trigger, index and constraint the old table
had is on the new one under its own name, and the application's role makes partitions only through the
function (docs/scaling.md, "Time partitions")."""

import uuid
from datetime import timedelta
from decimal import Decimal

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from psycopg2 import errors

from reporting.models import WarningEvent
from tests import factories as f
from tests.ops.test_backup import connection_arguments
from tests.reporting.views_seed import overdue_manifest
from tests.transfers.factories import generate
from tests.wasteparks.test_partitions import name_of
from transfers import services
from transfers.models import LedgerStage
from transfers.services.containers import label_containers
from transfers.services.ledger import reverse_ledger_entry
from wasteparks import audit, partitions
from wasteparks.models import OutboxMessage
from wasteparks.partitions import LEDGER, MANIFEST_EVENTS, OUTBOX, WARNING_EVENTS

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]

HW = "900-249-08"
GROWING = (LEDGER, MANIFEST_EVENTS, WARNING_EVENTS, OUTBOX)
BEFORE = [("transfers", "0010_containers"), ("reporting", "0013_exchange"), ("wasteparks", "0010_webhooks")]
# The partitioning migrations themselves: a later migration may add an index of its own.
PARTITIONED = [
    ("transfers", "0011_time_partitions"),
    ("reporting", "0014_time_partitions"),
    ("wasteparks", "0011_time_partitions"),
]


def sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def migrate(targets=None) -> None:
    """To `targets`, or forward to the newest migrations."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    for spec in partitions.TABLES:
        partitions.forget(spec)


@pytest.fixture
def back_to_plain_tables():
    """The database as it was before the partitioning migrations; forward again whatever the test did."""
    migrate(BEFORE)
    yield
    migrate()


def rows(table: str) -> list[tuple]:
    return sql(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 (test tables)


def next_ids() -> dict[str, int]:
    """What each table's identity would hand out next, without taking it."""
    found = {}
    for spec in GROWING:
        [(last, called)] = sql(f"SELECT last_value, is_called FROM {spec.table}_id_seq")  # noqa: S608
        found[spec.table] = last + 1 if called else last
    return found


def shape(table: str) -> dict[str, dict[str, str]]:
    """The table's constraints, indexes (not backing a constraint) and triggers, by name, as the catalog
    prints them; a partitioned table's own index reads `ON ONLY`, which is no difference here."""
    return {
        "constraints": dict(
            sql(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
                [table],
            )
        ),
        "indexes": {
            name: definition.replace(" ON ONLY ", " ON ")
            for name, definition in sql(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
                "WHERE indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)",
                [table],
            )
        },
        "triggers": dict(
            sql(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal",
                [table],
            )
        ),
    }


def is_partitioned(table: str) -> bool:
    return sql("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table]) == [("p",)]


def test_a_database_in_use_is_partitioned_with_every_row_id_version_and_trigger_kept(
    back_to_plain_tables, preparer_x, x_store, hazardous_draft, advance
):
    assert not any(is_partitioned(spec.table) for spec in GROWING)
    # A park's years of records, written as the application writes them, before the migration.
    now = timezone.now()
    for years_ago in (7, 3, 1):
        old = services.record_ledger_entry(
            actor=preparer_x,
            enterprise=x_store.enterprise,
            facility=x_store,
            waste_code=f.waste_code(HW),
            stage=LedgerStage.GENERATED,
            quantity_t=Decimal("4"),
            occurred_at=now - timedelta(days=365 * years_ago),
        )
    reverse_ledger_entry(entry=old, actor=preparer_x, reason="booked twice")
    labelled = generate(actor=preparer_x, facility=x_store, code=HW, quantity="9")
    label_containers(
        entry=labelled, actor=preparer_x, weights=[Decimal("9")], packaging_type="drum", physical_form="liquid"
    )
    overdue_manifest(hazardous_draft, advance)
    for months_ago in (14, 2, 0):
        OutboxMessage.objects.create(
            task="registry.tasks.purge_idempotency_records", created_at=now - timedelta(days=31 * months_ago)
        )
    assert WarningEvent.objects.exists()
    before = {spec.table: rows(spec.table) for spec in GROWING}
    shapes = {spec.table: shape(spec.table) for spec in GROWING}
    containers = shape("transfers_container")
    ids = next_ids()

    migrate(PARTITIONED)

    for spec in GROWING:
        assert is_partitioned(spec.table), spec.table
        assert rows(spec.table) == before[spec.table], spec.table  # ids, values and change versions
        years = {name_of(spec, spec.period_of(row[spec_column(spec)])) for row in before[spec.table]}
        assert years <= {partition.name for partition in partitions.partitions_of(spec)}
        assert next_ids()[spec.table] == ids[spec.table], spec.table
        new = shape(spec.table)
        assert new["triggers"] == shapes[spec.table]["triggers"] | references_of(spec.table)
        assert new["indexes"] == shapes[spec.table]["indexes"]
        assert new["constraints"] == expected_constraints(spec, shapes[spec.table]["constraints"])
    # A container names its ledger entry through a constraint trigger instead of the foreign key.
    assert shape("transfers_container")["constraints"] == {
        name: definition
        for name, definition in containers["constraints"].items()
        if "REFERENCES transfers_ledgerentry" not in definition
    } | {"transfers_container_names_an_entry": "TRIGGER DEFERRABLE INITIALLY DEFERRED"}
    # The audit chain still verifies every moved row: same ids, same content.
    assert audit.verify() == []
    # New rows go on from the old ids.
    newer = generate(actor=preparer_x, facility=x_store, code=HW, quantity="1")
    assert newer.pk == ids[LEDGER.table]


def test_going_back_to_plain_tables_keeps_every_row_and_id_too(preparer_x, x_store, hazardous_draft, advance):
    reverse_ledger_entry(
        entry=generate(actor=preparer_x, facility=x_store, code=HW, quantity="3"), actor=preparer_x, reason="wrong"
    )
    overdue_manifest(hazardous_draft, advance)
    OutboxMessage.objects.create(task="registry.tasks.purge_idempotency_records")
    before = {spec.table: rows(spec.table) for spec in GROWING}
    ids = next_ids()
    try:
        migrate(BEFORE)
        for spec in GROWING:
            assert not is_partitioned(spec.table), spec.table
            assert rows(spec.table) == before[spec.table], spec.table
        assert next_ids() == ids
        [(key,)] = sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'transfers_ledgerentry_pkey'"
        )
        assert key == "PRIMARY KEY (id)"
    finally:
        migrate()
    assert all(rows(spec.table) == before[spec.table] for spec in GROWING)


def spec_column(spec) -> int:
    """Where the partition column is in a row read with SELECT *."""
    return column_names(spec.table).index(spec.column)


def column_names(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} LIMIT 0")  # noqa: S608
        return [column.name for column in cursor.description]


def references_of(table: str) -> dict[str, str]:
    """The constraint trigger that replaces the ledger's foreign key to itself."""
    if table != LEDGER.table:
        return {}
    return {
        "transfers_reversal_names_an_entry": "CREATE CONSTRAINT TRIGGER transfers_reversal_names_an_entry AFTER INSERT "
        "OR UPDATE OF reverses_id, occurred_at ON public.transfers_ledgerentry DEFERRABLE INITIALLY DEFERRED FOR EACH "
        "ROW WHEN ((new.reverses_id IS NOT NULL)) EXECUTE FUNCTION transfers_reversal_names_an_entry()"
    }


def expected_constraints(spec, old: dict[str, str]) -> dict[str, str]:
    """The old constraints, the keys with the partition column added, the foreign keys naming a
    partitioned table gone (constraint triggers stand for them), the reversal's trigger's own entry."""
    expected = {}
    for name, definition in old.items():
        if definition.startswith("FOREIGN KEY") and "REFERENCES transfers_ledgerentry" in definition:
            continue
        if definition.startswith(("PRIMARY KEY (id)", "UNIQUE (reverses_id)")):
            definition = definition.replace(")", f", {spec.column})", 1)
        expected[name] = definition
    if spec is LEDGER:
        expected["transfers_reversal_names_an_entry"] = "TRIGGER DEFERRABLE INITIALLY DEFERRED"
    return expected


def test_the_application_role_makes_partitions_only_through_the_function(app_role_connection):
    with app_role_connection.cursor() as cursor:
        cursor.execute("SELECT wasteparks_ensure_partition('transfers_ledgerentry', '2041-07-01')")
        assert cursor.fetchone() == ("transfers_ledgerentry_y2041",)
        with pytest.raises(errors.InvalidParameterValue):
            cursor.execute("SELECT wasteparks_ensure_partition('registry_user', '2041-07-01')")
        with pytest.raises(errors.InsufficientPrivilege):
            cursor.execute(
                "CREATE TABLE transfers_ledgerentry_y2042 PARTITION OF transfers_ledgerentry "
                "FOR VALUES FROM ('2042-01-01 00:00+00') TO ('2043-01-01 00:00+00')"
            )
        cursor.execute(
            "INSERT INTO wasteparks_outboxmessage (task, args, kwargs, task_id, created_at, available_at, attempts, "
            "last_error) VALUES ('t', '[]', '{}', gen_random_uuid(), '2041-07-02', now(), 0, '') "
            "RETURNING tableoid::regclass::text"
        )
        assert cursor.fetchone() == ("wasteparks_outboxmessage_default",)
    assert "transfers_ledgerentry_y2041" in [p.name for p in partitions.partitions_of(LEDGER)]
    sql("DROP TABLE transfers_ledgerentry_y2041")


@pytest.fixture
def app_role_connection():
    """A connection as a role like the application's: rows only, no tables of its own (create_app_role)."""
    name, password = f"wasteparks_app_test_{uuid.uuid4().hex[:8]}", "partition-test-password"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTITION_TEST_PASSWORD", password)
        call_command("create_app_role", name, "--password-env", "PARTITION_TEST_PASSWORD")
    arguments = {**connection_arguments(connection.settings_dict["NAME"]), "user": name, "password": password}
    conn = psycopg2.connect(**arguments)
    conn.autocommit = True
    yield conn
    conn.close()
    sql(f'DROP OWNED BY "{name}"')
    sql(f'DROP ROLE "{name}"')
