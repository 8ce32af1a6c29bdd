"""Redis down: writes succeed and their side effects wait in the outbox until the broker is back.

Simulates a full Redis outage seen from the web/API process: both its Celery app (the broker) and its
Django cache (which API throttling reads and writes) point at a port where nothing listens (the machine's
Redis keeps running for everyone else), with eager mode off so side effects go through the broker as in
production. Proves that an API write and a web write still answer quickly with success (the cache fails
open: throttling does not limit while Redis is down), that the rule checks they queue are kept as unsent
outbox rows in PostgreSQL (no request tries the broker; the relay's attempts fail and leave them), and that
once Redis is reachable the relay publishes them and a real worker runs each of them.
"""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from registry.clients import create_api_client
from registry.models import ApiScope
from tests.api.conftest import bearer
from tests.faults.conftest import DEAD_BROKER_URL, DEAD_REDIS_URL, broker_at, cache_at, wait_for
from tests.transfers.test_api import manifest_body
from transfers.models import Manifest, ManifestStatus
from wasteparks import outbox
from wasteparks.models import OutboxMessage

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CHECK = "reporting.tasks.warnings.check_manifest_rules"


def test_writes_succeed_with_redis_down_and_their_side_effects_are_delivered_when_it_returns(
    celery_worker_process, client, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, hazardous_draft
):
    _worker, worker_log = celery_worker_process  # on the real broker, waiting
    OutboxMessage.objects.all().delete()
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    erp = bearer(token)
    client.force_login(preparer_x)

    with broker_at(DEAD_BROKER_URL), cache_at(DEAD_REDIS_URL):
        assert not cache.set("fault-probe", 1)  # the cache really is the dead Redis
        started = time.monotonic()
        created = erp.post("/api/v1/manifests/", manifest_body(enterprise_x, carrier_c, receiver_r, x_store))
        submitted = client.post(reverse("transfers:manifest_sign", args=[hazardous_draft.pk, "submit"]))
        elapsed = time.monotonic() - started

    assert created.status_code == 201, created.content
    assert submitted.status_code == 302
    assert elapsed < 10, f"two writes took {elapsed:.1f} s against a dead broker"
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.SUBMITTED
    assert Manifest.objects.filter(pk=created.json()["id"]).exists()
    waiting = list(OutboxMessage.objects.filter(sent_at=None).order_by("id"))
    assert [(m.task, m.args) for m in waiting] == [(CHECK, [created.json()["id"]]), (CHECK, [hazardous_draft.pk])]
    assert [m.attempts for m in waiting] == [0, 0]  # the requests left publishing to the relay

    with broker_at(DEAD_BROKER_URL):
        assert outbox.relay() == 0  # the relay's pass while Redis is still away: nothing leaves
    waiting[0].refresh_from_db()
    assert waiting[0].attempts == 1 and "Error" in waiting[0].last_error

    # Redis is back: the relay (beat every 30 s) publishes both, in order, and the worker runs them.
    assert outbox.relay() == 2
    assert not OutboxMessage.objects.filter(sent_at=None).exists()
    for message in waiting:
        done = f"{CHECK}[{message.task_id}] succeeded"
        wait_for(lambda done=done: done in worker_log.read_text(), 60, done)
    assert outbox.relay() == 0
