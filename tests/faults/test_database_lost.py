"""PostgreSQL restarted during requests: the application recovers without a restart, and no request
leaves a partial write.

The machine's PostgreSQL is shared, so it is never restarted: what a restart does to the application (its
server processes are terminated, its open connections are dead) is done with `pg_terminate_backend` from a
side connection. Requests go over real HTTP (keep-alive) to the `live_server` thread, which runs Django's
request cycle (close_old_connections, CONN_MAX_AGE, CONN_HEALTH_CHECKS) as production does; Django's test
Client does not. Proves that:

- after the server's persistent connection is killed between two requests, the next request answers 200:
  CONN_HEALTH_CHECKS finds the dead connection at the request's first query and reconnects; without it
  exactly one request fails, with a 503 and Retry-After in the API error shape (an outage, not a bug:
  wasteparks/outages.py), and the next one succeeds;
- a pickup killed inside its transaction, after it has moved the stock and written the ledger entry and
  while it waits to log the ManifestEvent, answers 500 and leaves the manifest, its events, the ledger and
  the stock as they were; retried, the same pickup succeeds.
"""

import http.client
import json
import threading
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import connection

from registry.clients import create_api_client
from registry.models import ApiScope
from tests.faults.conftest import wait_for
from tests.transfers.factories import stock
from transfers import services
from transfers.models import LedgerEntry, ManifestEvent, ManifestStatus

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

MANIFESTS = "/api/v1/manifests/"
HTTP_TIMEOUT = 30


class Api:
    """One keep-alive HTTP connection to the live server: its requests are served by one server thread,
    which keeps its database connection between them (CONN_MAX_AGE), as a production worker does."""

    def __init__(self, live_server, token: str):
        url = urlsplit(live_server.url)
        self.http = http.client.HTTPConnection(url.hostname, url.port, timeout=HTTP_TIMEOUT)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.http.request(method, path, body=data, headers=headers)
        response = self.http.getresponse()
        self.last_headers = dict(response.getheaders())
        content = response.read()
        try:
            return response.status, json.loads(content or b"null")
        except ValueError:
            return response.status, {"raw": content.decode(errors="replace")[:500]}

    def close(self) -> None:
        self.http.close()


def other_backends(side) -> set[int]:
    """Server processes on the test database other than this thread's and the side connection's.

    The side connection is in autocommit: pg_stat_activity is a snapshot taken once per transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    with side.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND pid <> %s AND backend_type = 'client backend'",
            [own],
        )
        return {row[0] for row in cursor.fetchall()}


def terminate(side, pids: set[int]) -> None:
    with side.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
    wait_for(lambda: not (other_backends(side) & pids), 10, "the terminated server processes to exit")


@pytest.fixture
def admin(side_connection):
    side_connection.autocommit = True
    return side_connection


@pytest.fixture
def submitted(hazardous_draft, preparer_x):
    return services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)


@pytest.fixture
def carrier_token(carrier_c):
    _, token = create_api_client(name="C ERP", scope=ApiScope.ENTERPRISE, enterprise=carrier_c)
    return token


def test_the_application_recovers_by_itself_when_its_database_connections_are_killed(
    live_server, admin, carrier_token, submitted
):
    api = Api(live_server, carrier_token)
    try:
        before = other_backends(admin)
        status, first = api.request("GET", MANIFESTS)
        assert status == 200, first
        server_backends = other_backends(admin) - before
        assert server_backends, "the server thread keeps its connection between requests (CONN_MAX_AGE)"
        status, _ = api.request("GET", MANIFESTS)
        assert status == 200
        assert server_backends <= other_backends(admin), "the same connection served the second request"

        terminate(admin, server_backends)  # what a PostgreSQL restart does to the application

        # CONN_HEALTH_CHECKS: the first query of the next request finds the connection dead and reconnects,
        # so not even that request fails.
        status, again = api.request("GET", MANIFESTS)
        assert status == 200, again
        # The same page; its resume cursor names the database's snapshot, which other sessions move on.
        assert (again["results"], again["next"]) == (first["results"], first["next"])
        assert not (other_backends(admin) & server_backends)
    finally:
        api.close()


def test_without_health_checks_one_request_fails_cleanly_and_the_next_recovers(
    live_server, admin, carrier_token, submitted, monkeypatch
):
    """What CONN_HEALTH_CHECKS buys: without it the dead connection is found by the request's own query."""
    # Read when a connection opens; the server threads' connections share this settings dict.
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    api = Api(live_server, carrier_token)
    try:
        before = other_backends(admin)
        status, first = api.request("GET", MANIFESTS)
        assert status == 200, first
        terminate(admin, other_backends(admin) - before)

        status, failed = api.request("GET", MANIFESTS)
        assert status == 503
        assert api.last_headers["Retry-After"] == "30"
        assert failed == {
            "error": {
                "code": "service_unavailable",
                "message": "The service is briefly unavailable; please try again in a moment.",
                "fields": {},
            }
        }
        # The failed request marked the connection as errored; request_finished closed it, so the next
        # request on the same server thread connects afresh.
        status, again = api.request("GET", MANIFESTS)
        assert status == 200, again
        # The same page; its resume cursor names the database's snapshot, which other sessions move on.
        assert (again["results"], again["next"]) == (first["results"], first["next"])
    finally:
        api.close()


def test_a_pickup_killed_mid_transaction_leaves_nothing_and_succeeds_when_retried(
    live_server, admin, locker_connection, carrier_token, submitted, enterprise_x, x_store
):
    manifest = submitted
    stock_before = stock(enterprise_x, x_store, "900-249-08")
    events_before = ManifestEvent.objects.filter(manifest=manifest).count()
    entries_before = LedgerEntry.objects.count()
    outcome: dict = {}

    def pickup() -> None:
        api = Api(live_server, carrier_token)
        try:
            outcome["status"], outcome["body"] = api.request(
                "POST", f"{MANIFESTS}{manifest.pk}/pickup/", {"vehicle_plate": "贵D12345"}
            )
        except (OSError, http.client.HTTPException) as error:  # the connection dropped: also a failure
            outcome["error"] = error
        finally:
            api.close()

    # Pickup locks the manifest, moves the stock and writes the ledger entry, then logs the ManifestEvent:
    # a SHARE lock on the event table (reads pass, inserts wait) makes it wait there with its first writes
    # done and its transaction open.
    with locker_connection.cursor() as cursor:
        cursor.execute("LOCK TABLE transfers_manifestevent IN SHARE MODE")
    request = threading.Thread(target=pickup, daemon=True)
    request.start()
    try:
        waiting: list[int] = []

        def pickup_waits_on_the_event_table() -> bool:
            with admin.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_locks WHERE relation = 'transfers_manifestevent'::regclass AND NOT granted"
                )
                waiting[:] = [row[0] for row in cursor.fetchall()]
            return bool(waiting)

        wait_for(pickup_waits_on_the_event_table, 30, "the pickup to reach the event table")
        assert len(waiting) == 1
        backend = waiting[0]
        with admin.cursor() as cursor:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [backend])
            assert cursor.fetchone()[0].startswith('INSERT INTO "transfers_manifestevent"')
            cursor.execute(
                "SELECT relation::regclass::text FROM pg_locks WHERE pid = %s AND mode = 'RowExclusiveLock' "
                "AND granted AND relation IS NOT NULL",
                [backend],
            )
            written = {row[0] for row in cursor.fetchall()}
        assert {"transfers_stockbalance", "transfers_ledgerentry"} <= written, written  # mid-transaction

        terminate(admin, {backend})  # the database goes away under the open transaction
    finally:
        locker_connection.rollback()  # releases the table lock
        request.join(timeout=HTTP_TIMEOUT + 5)
    assert not request.is_alive(), "the pickup request did not finish"
    if "error" not in outcome:
        assert outcome["status"] == 503, outcome  # the database went away: try again, never a success

    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.SUBMITTED
    assert manifest.picked_up_at is None
    assert ManifestEvent.objects.filter(manifest=manifest).count() == events_before
    assert LedgerEntry.objects.count() == entries_before
    assert stock(enterprise_x, x_store, "900-249-08") == stock_before

    # Recovery: the same pickup, retried, goes through without restarting anything.
    api = Api(live_server, carrier_token)
    try:
        status, body = api.request("POST", f"{MANIFESTS}{manifest.pk}/pickup/", {"vehicle_plate": "贵D12345"})
    finally:
        api.close()
    assert status == 200, body
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.IN_TRANSIT
    assert ManifestEvent.objects.filter(manifest=manifest).count() == events_before + 1
    assert LedgerEntry.objects.count() == entries_before + 1
    assert stock(enterprise_x, x_store, "900-249-08") == stock_before - Decimal("10")
