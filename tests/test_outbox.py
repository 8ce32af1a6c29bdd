"""The outbox: side effects are written with the change they follow and published after commit; a broker
that is away leaves them for the relay; eager mode runs them in-process as before."""

from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

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
    outbox._broker_paused_until = 0.0
    with mock.patch.object(app, "send_task") as send_task:
        yield send_task
    app.conf.task_always_eager = eager
    outbox._broker_paused_until = 0.0


def test_a_message_is_published_after_commit_and_marked_sent(broker):
    with transaction.atomic():
        message = outbox.enqueue(TASK, 1, when="today")
        assert not broker.called  # nothing leaves before the commit
    broker.assert_called_once()
    assert broker.call_args.kwargs["args"] == [1] and broker.call_args.kwargs["kwargs"] == {"when": "today"}
    assert broker.call_args.kwargs["retry"] is False
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1


def test_a_rolled_back_change_queues_nothing(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(TASK)
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert not broker.called


def test_a_broker_error_never_reaches_the_caller_and_the_relay_sends_later(broker):
    broker.side_effect = ConnectionRefusedError("Redis is down")
    with transaction.atomic():
        first = outbox.enqueue(TASK, 1)
        second = outbox.enqueue(TASK, 2)
    first.refresh_from_db()
    assert first.sent_at is None and first.attempts == 1 and "Redis is down" in first.last_error
    assert outbox.relay() == 0  # still down: the relay stops at the first failure

    broker.side_effect = None
    broker.reset_mock()
    call_command("relay_outbox")
    assert [c.kwargs["args"] for c in broker.call_args_list] == [[1], [2]]  # in order
    assert not OutboxMessage.objects.filter(sent_at=None).exists()
    assert {m.pk for m in OutboxMessage.objects.all()} == {first.pk, second.pk}


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
