"""The outbox: side effects are written with the change they follow; no request touches the broker; the
relay publishes them, woken by the commit's NOTIFY; a broker that is away leaves them for the next pass;
eager mode runs them in-process as before."""

import select
import threading
import time
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.faults.conftest import connect_to_test_database
from wasteparks import outbox
from wasteparks.celery import app
from wasteparks.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)

TASK = "registry.tasks.purge_idempotency_records"


@pytest.fixture
def broker():
    """Eager off, with the publish itself replaced: these tests are about the rows, not about Redis."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with mock.patch.object(app, "send_task") as send_task:
        yield send_task
    app.conf.task_always_eager = eager


@pytest.fixture
def listener():
    """A second connection listening on the outbox channel, as the relay process does."""
    side = connect_to_test_database()
    side.autocommit = True
    with side.cursor() as cursor:
        cursor.execute(f"LISTEN {outbox.CHANNEL}")
    yield side
    side.close()


def notified(side, timeout: float = 2.0) -> bool:
    select.select([side], [], [], timeout)
    side.poll()
    found = bool(side.notifies)
    side.notifies.clear()
    return found


def test_a_request_never_publishes_the_relay_does_after_commit(broker, listener):
    with transaction.atomic():
        message = outbox.enqueue(TASK, 1, when="today")
        assert not notified(listener, timeout=0.2)  # nothing is announced before the commit
    assert not broker.called  # the writer's commit touches no broker
    assert notified(listener)  # ... it wakes the relay process instead

    assert outbox.relay() == 1
    broker.assert_called_once()
    assert broker.call_args.kwargs["args"] == [1] and broker.call_args.kwargs["kwargs"] == {"when": "today"}
    assert broker.call_args.kwargs["retry"] is False
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert outbox.relay() == 0


def test_a_rolled_back_change_queues_nothing_and_wakes_no_one(broker, listener):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(TASK)
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert not notified(listener, timeout=0.3)
    assert outbox.relay() == 0
    assert not broker.called


def test_a_broker_error_leaves_the_messages_for_the_next_pass_in_order(broker):
    with transaction.atomic():
        first = outbox.enqueue(TASK, 1)
        second = outbox.enqueue(TASK, 2)
    broker.side_effect = ConnectionRefusedError("Redis is down")
    assert outbox.relay() == 0  # the relay stops at the first failure
    first.refresh_from_db()
    assert first.sent_at is None and first.attempts == 1 and "Redis is down" in first.last_error

    broker.side_effect = None
    broker.reset_mock()
    call_command("relay_outbox")
    assert [c.kwargs["args"] for c in broker.call_args_list] == [[1], [2]]  # in order
    assert not OutboxMessage.objects.filter(sent_at=None).exists()
    assert {m.pk for m in OutboxMessage.objects.all()} == {first.pk, second.pk}


def test_the_relay_process_wakes_on_a_commit_well_before_its_interval(broker):
    """wait_for_messages() returns on the commit's NOTIFY, not after its 30 s."""
    listening = threading.Event()
    woke: dict = {}

    def relay_process() -> None:
        from django.db import connection as own_connection  # this thread's own database connection

        try:
            outbox.wait_for_messages(0)  # LISTEN, and nothing is pending yet
            listening.set()
            started = time.monotonic()
            outbox.wait_for_messages(30)
            woke["after"] = time.monotonic() - started
        finally:
            own_connection.close()

    thread = threading.Thread(target=relay_process)
    thread.start()
    assert listening.wait(10)
    with transaction.atomic():
        outbox.enqueue(TASK, 3)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert woke["after"] < 10


def test_eager_mode_runs_the_task_after_commit_without_a_row():
    assert app.conf.task_always_eager
    with mock.patch("registry.tasks.idempotency.purge", return_value=0) as purge, transaction.atomic():
        assert outbox.enqueue(TASK).pk is None
        assert not purge.called
    purge.assert_called_once()
    assert not OutboxMessage.objects.exists()


def test_the_relay_runs_every_30_seconds_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["relay-outbox"]
    assert entry == {"task": "wasteparks.outbox.relay_outbox", "schedule": 30.0}
    assert "wasteparks.outbox.relay_outbox" in app.tasks
