"""Queue side effects durably: `enqueue()` in the caller's transaction, `relay()` for what the broker missed.

A write that queues work with `.delay()` after commit loses that work when Redis is down at that moment
(the request fails, or the error is swallowed). Instead, `enqueue()` writes an OutboxMessage row in the
caller's transaction, so the message exists exactly when the change does, and after commit tries to
publish it right away with a fail-fast publish (no broker retries; a connect timeout of about a second).
A message the broker did not take stays unsent, and the process leaves publishing to the relay for the
next BROKER_PAUSE_SECONDS; `relay()` (beat every 30 s, or `manage.py relay_outbox`) publishes unsent rows
in order once the broker answers again. Nothing after the commit raises into the request.

Delivery is at least once (a publish whose row could not be marked sent is published again), so every
task queued here is idempotent. In eager mode (the embedded default and the test suite) no row is
written: the task runs in-process after commit, and its failure is logged, as a worker's would be.
"""

import logging
import time
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .celery import app
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# After a failed publish, requests in this process stop trying for a while and leave the rows to the relay:
# a dead broker costs at most one connect timeout per process and pause, not one per request.
BROKER_PAUSE_SECONDS = 10.0
_broker_paused_until = 0.0


def enqueue(task: Task | str, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Queue `task(*args, **kwargs)` for after the current transaction commits; never raises a broker error.

    Arguments must be JSON-serialisable (ids, dates as ISO strings). Returns the outbox row; its
    `task_id` is the Celery task id, which a progress page can follow. In eager mode the row is not
    saved (pk None): the task runs in-process after commit under that id.
    """
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage(task=name, args=list(args), kwargs=kwargs)
    if app.conf.task_always_eager:
        # As a worker would: the task runs after the commit, and its failure is logged, never raised into
        # the request whose work is already committed (robust=True).
        transaction.on_commit(
            lambda: app.tasks[name].apply_async(args=args, kwargs=kwargs, task_id=str(message.task_id)), robust=True
        )
        return message
    message.save()
    transaction.on_commit(lambda: _publish_after_commit(message.pk), robust=True)
    return message


def _publish_after_commit(pk: int) -> None:
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        return
    try:
        with transaction.atomic():
            # skip_locked: the relay may be publishing this very row; one of the two is enough.
            message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=pk, sent_at=None).first()
            if message is None:
                return
            if not _try_publish(message):
                _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
    except Exception:
        # The request's own work is committed; the relay publishes this message later.
        logger.exception("Could not publish outbox message %s after commit; the relay will", pk)


def _try_publish(message: OutboxMessage) -> bool:
    """Publish one locked row and record the outcome on it. False when the broker refused or was away."""
    try:
        _publish(message)
    except Exception as error:  # any broker or network error: leave the row for the relay
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        message.save(update_fields=["attempts", "last_error"])
        logger.warning("Outbox message %s (%s) not published: %s", message.pk, message.task, message.last_error)
        return False
    message.attempts += 1
    message.sent_at = timezone.now()
    message.save(update_fields=["attempts", "sent_at"])
    return True


def _publish(message: OutboxMessage) -> None:
    if app.conf.task_always_eager:
        app.tasks[message.task].apply(args=message.args, kwargs=message.kwargs, task_id=str(message.task_id))
        return
    # retry=False: fail at once instead of Celery's default reconnect loop; ignore_result: the publisher
    # does not wait on the result backend (the same Redis), so a dead Redis costs one connect timeout.
    app.send_task(
        message.task,
        args=message.args,
        kwargs=message.kwargs,
        task_id=str(message.task_id),
        retry=False,
        ignore_result=True,
    )


def relay(*, batch_size: int | None = None) -> int:
    """Publish unsent messages in order, one bounded batch; returns how many were published.

    Stops at the first failure (the broker is away: the rest would fail the same way). Safe to run in
    several processes at once: each locks the rows it publishes and skips rows locked by another.
    """
    global _broker_paused_until
    batch_size = batch_size or settings.OUTBOX_RELAY_BATCH
    sent = 0
    with transaction.atomic():
        pending = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at=None, available_at__lte=timezone.now())
            .order_by("id")[:batch_size]
        )
        for message in pending:
            if not _try_publish(message):
                break
            sent += 1
    if sent:
        _broker_paused_until = 0.0  # the broker is back: requests may publish directly again
    return sent


@shared_task(name="wasteparks.outbox.relay_outbox", ignore_result=True, acks_late=True, time_limit=120)
def relay_outbox() -> int:
    """Every 30 s (beat): publish what requests could not hand to the broker."""
    return relay()
