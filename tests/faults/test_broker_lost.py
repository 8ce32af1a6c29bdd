"""Redis stopped while a task runs: the worker survives, and once Redis is back the outbox drains with
no one touching anything, each side effect delivered exactly once.

The stack is production's shape on a private redis-server (data kept across the stop, as docker-compose's
Redis does): a prefork worker with two processes, and the relay process. An officer's recompute is held
in flight (a side connection holds its park's row) while the worker's other process is free, so the
consumer is waiting for more work on Redis when Redis stops: the case that killed workers with
`AttributeError: 'NoneType' object has no attribute 'hostname'` (wasteparks/broker.py). Manifests
received with a quantity discrepancy before the stop and during it queue their rule checks and mails
through the outbox. Proves that:

- the worker process is alive at the end and never logged an unrecoverable error;
- writes during the outage succeed, their side effects wait in the outbox and are published by the relay
  when Redis is back, without anyone restarting anything;
- every rule check raised its warning once, every discrepancy mail went out once, and the recompute's
  rows are exactly those of a clean run;
- the worker's liveness file (what docker-compose's health check reads) goes stale while its consumer
  has no broker, and fresh again once it reconnects.
"""

import time
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from reporting.models import UtilizationSnapshot, Warning, WarningAction, WarningEvent
from reporting.services import dashboard
from reporting.services import utilization as utilization_services
from tests.faults.conftest import real_relay, real_worker, wait_for
from tests.transfers.factories import draft, receipt
from transfers import services
from transfers.models import Manifest
from wasteparks.celery import LIVENESS_INTERVAL
from wasteparks.models import OutboxMessage
from wasteparks.periods import Period

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 10
RECOMPUTE = "reporting.tasks.utilization.recompute_park_period"


def snapshot_rows() -> list[dict]:
    volatile = {"id", "created_at", "updated_at", "computed_at", "sync_version"}
    rows = [
        {key: value for key, value in model_to_dict(row).items() if key not in volatile}
        for row in UtilizationSnapshot.objects.order_by("pk")
    ]
    return sorted(rows, key=repr)


def receive_with_discrepancy(parties, enterprise_x, carrier_c, receiver_r, x_store, r_store) -> Manifest:
    """A load from X declared 10 t and received as 9 t (10 %, beyond the 5 % tolerance)."""
    manifest = draft(
        actor=parties["preparer_x"], consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store
    )
    services.submit_manifest(manifest=manifest, actor=parties["preparer_x"])
    services.pickup_manifest(manifest=manifest, actor=parties["driver_c"], vehicle_plate="贵D12345")
    services.receive_manifest(
        manifest=manifest, actor=parties["clerk_r"], lines=receipt(manifest, r_store, line1={"received": Decimal("9")})
    )
    manifest.refresh_from_db()
    return manifest


def succeeded(log: str, task_id) -> int:
    return log.count(f"[{task_id}] succeeded")


def test_the_worker_survives_redis_stopping_mid_task_and_the_outbox_drains_by_itself(
    private_redis,
    without_eager,
    side_connection,
    locker_connection,
    tmp_path,
    parties,
    park_a,
    enterprise_x,
    carrier_c,
    receiver_r,
    x_store,
    r_store,
):
    env = {"REDIS_URL": private_redis.url, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    worker_log, relay_log = tmp_path / "worker.log", tmp_path / "relay.log"
    period = Period.containing()
    received = []

    with real_worker(worker_log, env=env, pool="prefork", concurrency=2) as worker, real_relay(relay_log, env=env):
        side_connection.autocommit = True  # it watches; pg_stat_activity is read afresh in each transaction
        with locker_connection.cursor() as cursor:
            # A recompute locks its province's parks first: holding park A's row holds it there. NO KEY:
            # the rows other tasks insert may still reference the park (foreign-key checks pass).
            cursor.execute("SELECT id FROM registry_park WHERE id = %s FOR NO KEY UPDATE", [park_a.pk])
            recompute_id = dashboard.start_park_recompute(park=park_a, period=period)
            received += [receive_with_discrepancy(parties, enterprise_x, carrier_c, receiver_r, x_store, r_store)]

            def in_flight() -> bool:
                with side_connection.cursor() as watch:
                    watch.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND query LIKE %s",
                        ['%"registry_park"%FOR UPDATE%'],
                    )
                    return watch.fetchone()[0] > 0

            wait_for(in_flight, 60, "the recompute to wait for park A")

            def quick_work_done() -> bool:
                log = worker_log.read_text()
                quick = OutboxMessage.objects.exclude(task=RECOMPUTE)
                return not OutboxMessage.objects.filter(sent_at=None).exists() and all(
                    succeeded(log, message.task_id) == 1 for message in quick
                )

            wait_for(quick_work_done, 60, "the first manifest's checks and mail")

            private_redis.stop()  # the recompute runs; the worker's other process waits on Redis
            # Writes go on: their side effects wait in the outbox.
            received += [
                receive_with_discrepancy(parties, enterprise_x, carrier_c, receiver_r, x_store, r_store)
                for _ in range(2)
            ]
            assert OutboxMessage.objects.filter(sent_at=None).count() > 0
            locker_connection.rollback()  # the recompute finishes while Redis is away
            time.sleep(OUTAGE_SECONDS)
            assert worker.poll() is None, worker_log.read_text()[-3000:]
            private_redis.start()  # and nobody touches anything from here on

            def drained() -> bool:
                log = worker_log.read_text()
                return not OutboxMessage.objects.filter(sent_at=None).exists() and all(
                    succeeded(log, message.task_id) >= 1 for message in OutboxMessage.objects.all()
                )

            wait_for(drained, 120, "the outbox to drain and every task to run")
        assert worker.poll() is None, "the worker died"

    log = worker_log.read_text()
    assert "Unrecoverable error" not in log
    assert "Connection to broker lost" in log  # it did see Redis go
    for manifest in received:
        warnings = Warning.objects.filter(rule="QUANTITY_DISCREPANCY", manifest=manifest)
        assert warnings.count() == 1, manifest.number
        assert WarningEvent.objects.filter(warning__in=warnings, action=WarningAction.RAISED).count() == 1
        assert log.count(f"received manifest {manifest.number} from") == 1, manifest.number
    assert succeeded(log, recompute_id) >= 1
    worker_rows = snapshot_rows()
    assert worker_rows
    utilization_services.recompute_period(year=period.year, month=period.month, park=park_a)
    assert snapshot_rows() == worker_rows  # what a clean run writes, once


def test_the_worker_liveness_file_goes_stale_while_its_consumer_cannot_work_and_fresh_again_after(
    private_redis, tmp_path
):
    """What docker-compose's health check of the worker reads (`--liveness-file`, wasteparks/celery.py)."""
    alive = tmp_path / "worker.alive"
    options = ["--liveness-file", str(alive)]
    with real_worker(tmp_path / "worker.log", env={"REDIS_URL": private_redis.url}, options=options) as worker:

        def touched_since(moment: float) -> bool:
            return alive.exists() and alive.stat().st_mtime > moment

        wait_for(lambda: touched_since(time.time() - 1), 15, "the worker to touch its liveness file")
        private_redis.stop()
        stopped = time.time()
        time.sleep(LIVENESS_INTERVAL * 2 + 1)
        assert not touched_since(stopped + 1), "touched while the consumer had no broker"
        private_redis.start()
        restarted = time.time()
        wait_for(lambda: touched_since(restarted), 60, "the reconnected consumer to touch the file again")
        assert worker.poll() is None
