"""/healthz: the database and Redis decide whether this process can serve (503 with Retry-After when not);
the worker's heartbeat and the outbox's oldest unsent message say whether background work is moving
("degraded", still 200: requests succeed and their side effects wait)."""

import time
from datetime import date, timedelta

import pytest
import redis
from django.conf import settings
from django.db.utils import OperationalError
from django.utils import timezone

from wasteparks import health, heartbeat
from wasteparks.celery import app
from wasteparks.models import OutboxMessage
from wasteparks.workdays import LAST_YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_a_worker():
    """Production's mode: tasks run on workers (not in-process), so a missing heartbeat matters."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(heartbeat.KEY)
    yield client
    client.delete(heartbeat.KEY)
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def calendar_day(monkeypatch):
    """Set the local day /healthz checks the holiday calendar on: a day it covers, unless a test says."""

    def on(day: date) -> None:
        monkeypatch.setattr(health, "local_date", lambda: day)

    on(date(LAST_YEAR, 6, 1))
    return on


def test_healthy(client, calendar_day):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "worker": "not configured",  # the suite runs tasks in-process
        "worker_heartbeat_age_seconds": None,
        "outbox": "ok",
        "outbox_unsent": 0,
        "outbox_oldest_unsent_age_seconds": None,
        "calendar": "ok",
        "replica": "not configured",
        "replica_lag_seconds": None,
    }


def test_redis_down_answers_503_with_retry_after(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["status"] == "down"
    assert body["redis"].startswith("down") and body["worker"] == "unknown"
    assert body["database"] == "ok"


def test_database_down_answers_503_with_retry_after(client, monkeypatch):
    class DownConnection:
        def cursor(self):
            raise OperationalError("server closed the connection")

    monkeypatch.setattr("wasteparks.health.connection", DownConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["database"] == "down: OperationalError"
    assert response.json()["outbox"] == "unknown"


def test_a_fresh_heartbeat_is_reported_with_its_age(client, with_a_worker):
    heartbeat.record()  # what the worker does every 30 s
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["worker"] == "ok"
    assert 0 <= body["worker_heartbeat_age_seconds"] <= 5


def test_a_stale_heartbeat_is_degraded_but_still_serves(client, with_a_worker, settings):
    with_a_worker.set(heartbeat.KEY, repr(time.time() - 600))  # the worker stopped ten minutes ago
    response = client.get("/healthz")
    assert response.status_code == 200  # a load balancer keeps sending traffic: requests still work
    body = response.json()
    assert body["status"] == "degraded"
    assert body["worker"] == "stale"
    assert 595 <= body["worker_heartbeat_age_seconds"] <= 610


def test_no_heartbeat_at_all_is_degraded(client, with_a_worker):
    body = client.get("/healthz").json()
    assert (body["status"], body["worker"], body["worker_heartbeat_age_seconds"]) == ("degraded", "no heartbeat", None)


def test_an_outbox_message_waiting_too_long_is_reported_stuck(client, settings):
    settings.HEALTH_OUTBOX_MAX_AGE = timedelta(seconds=120)
    now = timezone.now()
    OutboxMessage.objects.create(task="x", available_at=now - timedelta(seconds=30))
    body = client.get("/healthz").json()
    assert (body["status"], body["outbox"], body["outbox_unsent"]) == ("ok", "ok", 1)
    assert 29 <= body["outbox_oldest_unsent_age_seconds"] <= 40

    OutboxMessage.objects.create(task="x", available_at=now - timedelta(seconds=300))
    OutboxMessage.objects.create(task="x", available_at=now - timedelta(days=1), sent_at=now)  # sent: ignored
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["outbox"], body["outbox_unsent"]) == ("degraded", "stuck", 2)
    assert 299 <= body["outbox_oldest_unsent_age_seconds"] <= 310


def test_health_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    OutboxMessage.objects.bulk_create(OutboxMessage(task="x") for _ in range(50))
    with django_assert_max_num_queries(2):
        assert client.get("/healthz").status_code == 200


def test_health_is_never_cached_and_get_only(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_beats_health_check_passes_on_a_fresh_heartbeat_and_fails_on_none(with_a_worker):
    assert heartbeat.main(["--max-age", "180"]) == 1
    heartbeat.record()
    assert heartbeat.main(["--max-age", "180"]) == 0
    with_a_worker.set(heartbeat.KEY, repr(time.time() - 600))
    assert heartbeat.main(["--max-age", "180"]) == 1


def test_monitoring_hears_a_month_ahead_that_the_holiday_calendar_lacks_next_year(client, calendar_day):
    calendar_day(date(LAST_YEAR, 12, 1))
    body = client.get("/healthz").json()
    # Nothing is being skipped yet: the status stands, the calendar names the year to install.
    assert (body["status"], body["calendar"]) == ("ok", f"not covered: {LAST_YEAR + 1}")


def test_a_year_the_holiday_calendar_lacks_degrades_the_service(client, calendar_day):
    calendar_day(date(LAST_YEAR + 1, 1, 2))
    response = client.get("/healthz")
    body = response.json()
    # Receipt confirmations are not being checked: monitoring must alert, traffic must still flow.
    assert response.status_code == 200
    assert (body["status"], body["calendar"]) == ("degraded", f"not covered: {LAST_YEAR + 1}")
