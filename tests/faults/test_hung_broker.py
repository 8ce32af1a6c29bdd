"""A hung Redis (SIGSTOP: connections are accepted and never answered) does not stall the site.

This process plays the web process on a private redis-server, as its cache (throttling), its result
backend (the recompute's progress) and for /healthz; the relay process and a worker use it as their
broker. Redis is frozen; then an API write, a signature from a page, an officer's recompute and its
progress page, the login page and /healthz must each answer within a few seconds (before, a request that
published waited for the 30 s socket timeout and every gunicorn worker stuck). The side effects wait in the
outbox; once Redis is thawed they are delivered with no one touching anything.
"""

import time

import pytest
from django.test import Client
from django.urls import reverse

from registry.clients import create_api_client
from registry.models import ApiScope
from tests.api.conftest import bearer
from tests.faults.conftest import cache_at, real_relay, real_worker, results_at, wait_for
from tests.transfers.test_api import manifest_body
from transfers.models import ManifestStatus
from wasteparks.models import OutboxMessage
from wasteparks.periods import Period

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

A_FEW_SECONDS = 5


def timed(request):
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


def test_requests_and_health_answer_quickly_while_redis_hangs_and_the_work_follows_when_it_thaws(
    private_redis,
    without_eager,
    settings,
    tmp_path,
    client,
    preparer_x,
    enterprise_x,
    carrier_c,
    receiver_r,
    x_store,
    hazardous_draft,
    officer_a,
    park_a,
):
    settings.REDIS_URL = private_redis.url  # what /healthz checks
    env = {"REDIS_URL": private_redis.url}
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    erp = bearer(token)
    client.force_login(preparer_x)
    officer = Client()
    officer.force_login(officer_a)
    worker_log = tmp_path / "worker.log"

    with (
        real_worker(worker_log, env=env),
        real_relay(tmp_path / "relay.log", env=env),
        cache_at(private_redis.url),
        results_at(private_redis.url),  # the progress page reads it
    ):
        private_redis.freeze()
        try:
            created, api_seconds = timed(
                lambda: erp.post("/api/v1/manifests/", manifest_body(enterprise_x, carrier_c, receiver_r, x_store))
            )
            signed, page_seconds = timed(
                lambda: client.post(reverse("transfers:manifest_sign", args=[hazardous_draft.pk, "submit"]))
            )
            month = str(Period.containing())
            recompute, recompute_seconds = timed(
                lambda: officer.post(reverse("reporting:recompute"), {"park": park_a.pk, "period": month})
            )
            progress, progress_seconds = timed(lambda: officer.get(recompute["Location"]))
            login, login_seconds = timed(lambda: client.get(reverse("login")))
            health, health_seconds = timed(lambda: client.get("/healthz"))
        finally:
            private_redis.thaw()

        assert created.status_code == 201, created.content
        assert api_seconds < A_FEW_SECONDS, f"the API write took {api_seconds:.1f} s"
        assert signed.status_code == 302
        assert page_seconds < A_FEW_SECONDS, f"the signature took {page_seconds:.1f} s"
        assert recompute.status_code == 302 and recompute_seconds < A_FEW_SECONDS
        assert progress.status_code == 200, f"the progress page took {progress_seconds:.1f} s"
        assert progress_seconds < A_FEW_SECONDS, f"the progress page took {progress_seconds:.1f} s"
        assert b'data-testid="recompute-unknown"' in progress.content  # not a failure: unknown for now
        assert login.status_code == 200 and login_seconds < A_FEW_SECONDS
        assert health.status_code == 503 and health["Retry-After"]
        assert health.json()["redis"].startswith("down")
        assert health_seconds < A_FEW_SECONDS, f"/healthz took {health_seconds:.1f} s"
        hazardous_draft.refresh_from_db()
        assert hazardous_draft.status == ManifestStatus.SUBMITTED

        # Thawed: the relay publishes what waited, the worker runs it, nobody touches anything.
        def delivered() -> bool:
            log = worker_log.read_text()
            messages = OutboxMessage.objects.all()
            return (
                messages.exists()
                and not messages.filter(sent_at=None).exists()
                and all(log.count(f"[{m.task_id}] succeeded") == 1 for m in messages)
            )

        wait_for(delivered, 90, "the side effects to be delivered once Redis answers again")
