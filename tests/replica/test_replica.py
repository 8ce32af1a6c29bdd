"""Read replicas (docs/scaling.md): the sync API, lists and dashboards read from a streaming replica, an
exact mirror all the same; a client that just wrote reads from the primary; a dead replica sends reads to
the primary and /healthz says so.

The tests marked `replica` need a real hot standby of the test cluster: TEST_REPLICA_URL (`.ci/replica
start` prints it), e.g. postgres://postgres@127.0.0.1:5433, or, without it, one these tests start on port
5434 with `.ci/replica` and stop at the end. The database name is the test database's."""

import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext

from registry.clients import create_api_client
from registry.models import ApiScope, Enterprise
from tests import factories as f
from tests.api.conftest import bearer
from tests.transfers.factories import draft
from wasteparks import db_router
from wasteparks.api.pagination import CHANGES, _encode
from wasteparks.sync import Snapshot

ENTERPRISES = "/api/v1/enterprises/"


def _use_replica(settings, *, host: str, port: int) -> None:
    """Adds the `replica` alias on the test database's name at host:port (undone by `_drop_replica`)."""
    config = {**connections["default"].settings_dict, "HOST": host, "PORT": port, "TEST": {"MIRROR": "default"}}
    config["OPTIONS"] = {**config.get("OPTIONS", {}), "connect_timeout": 2}
    settings.DATABASES = {**settings.DATABASES, "replica": config}
    connections.settings["replica"] = config
    _allow_in_the_running_test_case("replica")
    db_router._failed_at.clear()


def _allow_in_the_running_test_case(alias: str, *, allowed: bool = True) -> None:
    """Django's test case refuses connections to aliases it did not set up, and pytest-django has set it
    up before a fixture can add one: the alias joins the case's `databases` (restored after the test)."""
    cells = BaseDatabaseWrapper.ensure_connection.__closure__ or ()
    for cell in cells:
        case = cell.cell_contents
        if isinstance(case, type) and hasattr(case, "databases"):
            case.databases = frozenset({*case.databases, alias} if allowed else set(case.databases) - {alias})


def _drop_replica() -> None:
    if "replica" in connections.settings:
        connections["replica"].close()
        del connections.settings["replica"]
        _allow_in_the_running_test_case("replica", allowed=False)
        if hasattr(connections._connections, "replica"):
            delattr(connections._connections, "replica")
    db_router._failed_at.clear()


REPO = Path(__file__).resolve().parents[2]
OWN_PORT = "5434"


@pytest.fixture(scope="session")
def replica_url():
    """TEST_REPLICA_URL when CI gives one; otherwise a standby of the local cluster started here with
    `.ci/replica` (as the telemetry tests start their broker), stopped when the session ends."""
    url = os.environ.get("TEST_REPLICA_URL")
    if url:
        yield url
        return
    script = str(REPO / ".ci" / "replica")
    started = subprocess.run([script, "start", OWN_PORT], capture_output=True, text=True, timeout=600)
    if started.returncode != 0:
        pytest.fail(
            "A streaming replica is needed (set TEST_REPLICA_URL, or let `.ci/replica start` run here): "
            + (started.stderr.strip() or started.stdout.strip())
        )
    yield started.stdout.strip().splitlines()[-1]
    subprocess.run([script, "stop", OWN_PORT], capture_output=True, timeout=120)


@pytest.fixture
def real_replica(request, settings, replica_url):
    url = replica_url
    parts = urlparse(url)
    request.getfixturevalue("transactional_db")
    _use_replica(settings, host=parts.hostname or "127.0.0.1", port=parts.port or 5432)
    try:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone()[0] is True, f"{url} is not a standby"
    except Exception as error:
        _drop_replica()
        pytest.fail(f"The replica at TEST_REPLICA_URL={url} is not usable: {error}")
    yield connections["replica"]
    _drop_replica()


@pytest.fixture
def dead_replica(request, settings):
    request.getfixturevalue("db")
    _use_replica(settings, host="127.0.0.1", port=9)  # the discard port: nothing listens, refused at once
    yield
    _drop_replica()


@pytest.fixture
def platform(catalogue):
    _client, token = create_api_client(name="Guizhou provincial platform", scope=ApiScope.READ_ALL)
    return bearer(token)


def wait_for_replay(timeout: float = 30) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail(f"The replica did not replay up to {target} within {timeout} s")


def wait_for_a_listable_snapshot(timeout: float = 300) -> None:
    """Until the standby's snapshot spans few enough ids to list the running ones (wasteparks/sync.py
    `_MAX_RUNNING`). While another session of the shared cluster holds a transaction open across more ids
    than that (a test loading two years of data in one), the standby defers every row from its `xmin` on
    (late, never lost): a mirror can only be complete once that transaction has ended."""
    from wasteparks.sync import _MAX_RUNNING

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections["replica"].cursor() as cursor:
            cursor.execute(
                "SELECT pg_snapshot_xmax(s)::text::bigint - pg_snapshot_xmin(s)::text::bigint"
                " FROM pg_current_snapshot() AS s"
            )
            if cursor.fetchone()[0] <= _MAX_RUNNING:
                return
        time.sleep(1)
    pytest.fail(f"A transaction of another session kept the standby's snapshot wider than {_MAX_RUNNING} ids")


def _run(caller, url, mirror) -> str:
    """Pages until `next` is null, into `mirror`; returns the run's `resume`."""
    while True:
        body = caller.get(url).json()
        for row in body["results"]:
            mirror[row["id"]] = row
        if not body["next"]:
            return body["resume"]
        url = body["next"]


@pytest.mark.replica
@pytest.mark.django_db(transaction=True)
def test_a_platform_paging_from_the_replica_while_the_primary_writes_ends_with_an_exact_mirror(
    real_replica, platform, park_a
):
    enterprises = [f.EnterpriseFactory(park=park_a, name=f"E{n:03d}") for n in range(12)]
    wait_for_replay()
    wait_for_a_listable_snapshot()
    # A transaction held open across pages: its row must come in a later run, never be skipped.
    held = connections.create_connection("default")
    held.set_autocommit(False)
    with held.cursor() as cursor:
        cursor.execute("UPDATE registry_enterprise SET contact_name = 'held open' WHERE id = %s", [enterprises[-1].pk])
    mirror: dict[int, dict] = {}
    url = f"{ENTERPRISES}?page_size=4"
    with CaptureQueriesContext(real_replica) as on_replica:
        page = 0
        while url:
            body = platform.get(url).json()
            for row in body["results"]:
                mirror[row["id"]] = row
            url, resume = body["next"], body["resume"]
            page += 1
            # Between pages, on the primary: a row changed, a row created (not yet replayed, perhaps).
            Enterprise.objects.filter(pk=enterprises[page].pk).update(contact_name=f"changed after page {page}")
            f.EnterpriseFactory(park=park_a, name=f"created during page {page}")
    assert on_replica.captured_queries, "the sync API read from the primary"
    held.commit()
    held.close()
    # Runs from `resume` bring everything; once the replica has replayed it all, the mirror is exact.
    resume = _run(platform, resume, mirror)
    wait_for_replay()
    wait_for_a_listable_snapshot()
    _run(platform, resume, mirror)
    truth = {e.pk: e for e in Enterprise.objects.all()}
    assert set(mirror) == set(truth)
    assert {pk: row["contact_name"] for pk, row in mirror.items()} == {pk: e.contact_name for pk, e in truth.items()}
    assert mirror[enterprises[-1].pk]["contact_name"] == "held open"


@pytest.mark.replica
@pytest.mark.django_db(transaction=True)
def test_a_page_whose_snapshot_the_replica_has_not_replayed_is_read_from_the_primary(real_replica):
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT 1")
    ahead = Snapshot.current("default")
    replica_now = Snapshot.current("replica")
    later = Snapshot(ahead.xmax + 5, ahead.xmax + 5)  # a primary snapshot no replica can have reached
    assert not replica_now.covers(later)
    assert Snapshot(later.xmax, later.xmax).covers(replica_now)


@pytest.mark.replica
@pytest.mark.django_db(transaction=True)
def test_a_manifest_page_cut_on_the_primary_is_written_from_the_primary_too(
    real_replica, platform, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
):
    made = [
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
        for _ in range(3)
    ]
    wait_for_replay()
    # A run that began on the primary while the replica was away: its snapshot is ahead of the replica, so
    # the page is cut on the primary; its manifests (ids, lines, signatures) must come from there as well,
    # or a row the replica has not replayed would be missing from a page the run never asks for again.
    ahead = Snapshot.current("default")
    later = Snapshot(ahead.xmax + 5, ahead.xmax + 5)
    cursor = _encode([CHANGES, None, str(later), None, None])
    with CaptureQueriesContext(real_replica) as on_replica:
        body = platform.get(f"/api/v1/manifests/?page_size=10&cursor={cursor}").json()
    assert sorted(row["id"] for row in body["results"]) == sorted(m.pk for m in made)
    assert all(row["lines"] for row in body["results"])
    read_there = [q["sql"] for q in on_replica.captured_queries if "transfers_manifest" in q["sql"]]
    assert not read_there, read_there


@pytest.mark.replica
@pytest.mark.django_db(transaction=True)
def test_after_a_post_the_same_client_reads_from_the_primary_until_the_pin_expires(real_replica, platform, park_a):
    f.EnterpriseFactory(park=park_a)
    wait_for_replay()
    with CaptureQueriesContext(real_replica) as on_replica:
        assert platform.get(ENTERPRISES).status_code == 200
    assert on_replica.captured_queries  # not pinned: the list reads from the replica

    response = platform.post(ENTERPRISES, {}, format="json")  # any write attempt pins, refused or not
    assert response.cookies[db_router.PIN_COOKIE]["max-age"] > 0
    with CaptureQueriesContext(real_replica) as on_replica:
        assert platform.get(ENTERPRISES).status_code == 200
    assert not on_replica.captured_queries  # read-your-writes: served by the primary

    platform.cookies.pop(db_router.PIN_COOKIE)  # the pin has expired
    with CaptureQueriesContext(real_replica) as on_replica:
        platform.get(ENTERPRISES)
    assert on_replica.captured_queries


@pytest.mark.replica
@pytest.mark.django_db(transaction=True)
def test_healthz_reports_a_live_replica_and_its_lag(real_replica, client):
    body = client.get("/healthz").json()
    assert body["replica"] == "ok"
    assert body["replica_lag_seconds"] is not None and body["replica_lag_seconds"] >= 0


def test_when_the_replica_is_down_reads_go_to_the_primary_and_healthz_says_so(dead_replica, platform, park_a, client):
    enterprise = f.EnterpriseFactory(park=park_a)
    response = platform.get(ENTERPRISES)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [enterprise.pk]
    body = client.get("/healthz").json()
    assert body["replica"].startswith("down: ")
    assert body["replica_lag_seconds"] is None


def test_a_failed_replica_is_not_retried_until_the_retry_period_passes(dead_replica):
    with db_router.replica_reads():
        assert db_router.read_alias() == db_router.PRIMARY
        started = time.monotonic()
        for _ in range(5):
            assert db_router.read_alias() == db_router.PRIMARY
        assert time.monotonic() - started < 1  # no further connection attempts


def test_reads_go_to_the_replica_only_where_a_view_asks_and_never_inside_a_transaction(settings, db):
    primary = connections["default"].settings_dict
    _use_replica(settings, host=primary["HOST"], port=primary["PORT"])
    try:
        router = db_router.PrimaryReplicaRouter()
        assert router.db_for_read(Enterprise) == db_router.PRIMARY  # not asked for
        with db_router.replica_reads():
            # The test itself runs in a transaction on the primary: a service's read-modify-write.
            assert router.db_for_read(Enterprise) == db_router.PRIMARY
        assert router.db_for_write(Enterprise) == db_router.PRIMARY
        assert router.allow_migrate("replica", "registry") is False
        assert router.allow_migrate("default", "registry") is True
    finally:
        _drop_replica()


def test_without_a_replica_everything_reads_from_the_primary(db):
    with db_router.replica_reads():
        assert db_router.read_alias() == db_router.PRIMARY
    assert db_router.status() == ("not configured", None)


def test_a_write_pins_only_when_a_replica_is_configured(platform, catalogue):
    response = platform.post(ENTERPRISES, {}, format="json")
    assert db_router.PIN_COOKIE not in response.cookies


def test_snapshot_coverage_is_exact():
    until = Snapshot.parse("100:110:102,105")
    assert Snapshot.parse("100:110:102,105").covers(until)
    assert Snapshot.parse("106:120:").covers(until)
    assert Snapshot.parse("100:120:102,105,112").covers(until)
    assert not Snapshot.parse("100:109:102,105").covers(until)  # 108 was not yet replayed
    assert not Snapshot.parse("100:110:102,103,105").covers(until)  # 103 is visible in until
    assert not Snapshot.parse("90:110:95,102,105").covers(until)  # 95 is visible in until


@pytest.mark.replica
@pytest.mark.django_db(transaction=True)
def test_officer_a_reads_the_dashboard_and_lists_from_the_replica_and_her_own_writes_from_the_primary(
    real_replica, client, officer_a, park_a
):
    from django.urls import reverse

    f.EnterpriseFactory(park=park_a)
    wait_for_replay()
    client.force_login(officer_a)
    pages = [reverse(name) for name in ("reporting:dashboard", "transfers:manifest_list", "reporting:warning_list")]
    for url in pages:
        with CaptureQueriesContext(real_replica) as on_replica:
            assert client.get(url).status_code == 200
        assert on_replica.captured_queries, f"{url} read nothing from the replica"

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})  # a form post: a write
    for url in pages:
        with CaptureQueriesContext(real_replica) as on_replica:
            assert client.get(url).status_code == 200
        assert not on_replica.captured_queries, f"{url} read from the replica right after a write"
