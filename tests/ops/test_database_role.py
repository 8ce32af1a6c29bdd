"""The application's database role (manage.py create_app_role, docs/operations.md) reads and writes rows
and nothing more: it owns no table, and the statements that would let it rewrite the evidence (switching
the append-only triggers off, TRUNCATE, session_replication_role = replica) are refused; the application
itself works as that role."""

import uuid

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg2 import errors

from tests.ops.test_backup import connection_arguments
from transfers import services
from transfers.models import ManifestEvent, ManifestStatus

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "app-role-test-password"


@pytest.fixture
def app_role(monkeypatch):
    """The role, created in the test database by the owner (the suite's role) as the migrate job does."""
    name = f"wasteparks_app_test_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("APP_ROLE_TEST_PASSWORD", PASSWORD)
    call_command("create_app_role", name, "--password-env", "APP_ROLE_TEST_PASSWORD")
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{name}"')  # its grants and default privileges in this database
        cursor.execute(f'DROP ROLE "{name}"')


@pytest.fixture
def as_app(app_role):
    """A connection to the test database that logs in as the application's role."""
    arguments = {**connection_arguments(connection.settings_dict["NAME"]), "user": app_role, "password": PASSWORD}
    conn = psycopg2.connect(**arguments)
    conn.autocommit = True
    yield conn
    conn.close()


def refused(conn, statement: str, error: type[Exception]) -> str:
    with pytest.raises(error) as raised, conn.cursor() as cursor:
        cursor.execute(statement)
    return str(raised.value)


def test_the_application_role_owns_nothing_and_is_no_superuser(app_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s", [app_role]
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = %s", [app_role]
        )
        assert cursor.fetchone() == (False, False, False, False)


def test_the_application_role_reads_and_writes_rows(as_app, park_a):
    with as_app.cursor() as cursor:
        cursor.execute("SELECT name FROM registry_park WHERE id = %s", [park_a.pk])
        assert cursor.fetchone() == (park_a.name,)
        cursor.execute(
            "INSERT INTO wasteparks_outboxmessage (task, args, kwargs, task_id, created_at, available_at, attempts, "
            "last_error) VALUES ('t', '[]', '{}', gen_random_uuid(), now(), now(), 0, '') RETURNING id"
        )
        (pk,) = cursor.fetchone()
        cursor.execute("UPDATE wasteparks_outboxmessage SET attempts = 1 WHERE id = %s", [pk])
        assert cursor.rowcount == 1
        cursor.execute("SELECT id FROM wasteparks_outboxmessage WHERE id = %s FOR UPDATE", [pk])
        cursor.execute("DELETE FROM wasteparks_outboxmessage WHERE id = %s", [pk])
        assert cursor.rowcount == 1


def test_the_application_role_cannot_switch_off_or_bypass_the_tamper_evidence(as_app, hazardous_draft, preparer_x):
    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    event = ManifestEvent.objects.filter(manifest=hazardous_draft).latest("pk")

    assert "must be owner" in refused(
        as_app,
        "ALTER TABLE transfers_manifestevent DISABLE TRIGGER wasteparks_append_only",
        errors.InsufficientPrivilege,
    )
    assert "must be owner" in refused(
        as_app, "ALTER TABLE transfers_manifestevent DISABLE TRIGGER ALL", errors.InsufficientPrivilege
    )
    assert "permission denied" in refused(as_app, "TRUNCATE transfers_manifestevent", errors.InsufficientPrivilege)
    assert "permission denied" in refused(
        as_app, "SET session_replication_role = replica", errors.InsufficientPrivilege
    )
    assert "must be owner" in refused(as_app, "DROP TABLE transfers_manifestevent", errors.InsufficientPrivilege)
    assert "permission denied" in refused(as_app, "CREATE TABLE mine (id int)", errors.InsufficientPrivilege)
    assert "append-only" in refused(
        as_app,
        f"UPDATE transfers_manifestevent SET comment = 'rewritten' WHERE id = {event.pk}",
        errors.RestrictViolation,
    )
    assert "append-only" in refused(
        as_app, f"DELETE FROM transfers_manifestevent WHERE id = {event.pk}", errors.RestrictViolation
    )
    event.refresh_from_db()
    assert event.comment != "rewritten"


def test_tables_created_by_later_migrations_are_granted_too(as_app, app_role):
    with connection.cursor() as cursor:  # the owner, as a later migration would
        cursor.execute("CREATE TABLE later_table (id bigserial PRIMARY KEY, note text)")
    try:
        with as_app.cursor() as cursor:
            cursor.execute("INSERT INTO later_table (note) VALUES ('written by the application') RETURNING id")
            assert cursor.fetchone()[0] == 1
        assert "permission denied" in refused(as_app, "TRUNCATE later_table", errors.InsufficientPrivilege)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE later_table")


def test_the_application_works_as_its_role(app_role, hazardous_draft, preparer_x, driver_c):
    """Signing through the services (row locks, the audit chain's advisory lock, the outbox, every trigger)
    needs nothing the role lacks."""
    owner = {key: connection.settings_dict[key] for key in ("USER", "PASSWORD")}
    connection.close()
    connection.settings_dict.update(USER=app_role, PASSWORD=PASSWORD)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
        services.pickup_manifest(manifest=hazardous_draft, actor=driver_c, vehicle_plate="贵D12345")
        hazardous_draft.refresh_from_db()
        assert hazardous_draft.status == ManifestStatus.IN_TRANSIT
    finally:
        connection.close()
        connection.settings_dict.update(owner)


def test_the_command_refuses_the_owner_itself_and_a_missing_password(monkeypatch):
    with pytest.raises(CommandError, match="its own"):
        call_command("create_app_role", connection.settings_dict["USER"])
    monkeypatch.delenv("APP_ROLE_TEST_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="not set"):
        call_command("create_app_role", "wasteparks_app_never", "--password-env", "APP_ROLE_TEST_PASSWORD")


def test_running_it_again_after_a_migration_is_harmless(app_role):
    call_command("create_app_role", app_role)  # the migrate job runs it after every migrate
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, 'transfers_manifest', 'INSERT')", [app_role])
        assert cursor.fetchone()[0] is True
        cursor.execute("SELECT has_table_privilege(%s, 'transfers_manifest', 'TRUNCATE')", [app_role])
        assert cursor.fetchone()[0] is False
