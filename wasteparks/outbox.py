"""Queue side effects durably: `enqueue()` in the caller's transaction, the relay hands them to Celery.

A write that queues work with `.delay()` after commit loses that work when Redis is down at that moment, and
waits on Redis when it hangs (a stopped or partitioned Redis accepts the connection and never answers, so
every request that published held its web worker for the socket timeout). Instead, `enqueue()` writes an
OutboxMessage row in the caller's transaction, so the message exists exactly when the change does, and
nothing in a request ever talks to the broker.

Publishing is the relay's job, `relay()`:
- the relay process (`manage.py relay_outbox --loop`, the `relay` service in docker-compose) waits for the
  NOTIFY that each enqueue sends (PostgreSQL delivers it when the writing transaction commits) and
  publishes at once, so a side effect normally leaves within a fraction of a second of its commit;
- beat runs `relay_outbox` every 30 s as well, so with the relay process down side effects still leave
  within half a minute.
Latency was weighed against robustness: publishing right after commit from the request saves the relay's
wake-up (milliseconds) but puts the broker in every request's path; the relay keeps it out.

A message the broker does not take stays unsent and the next pass tries again, in order. Delivery is at
least once (a publish whose row could not be marked sent is published again), so every task queued here
is idempotent. In eager mode (the embedded default and the test suite) no row is written: the task runs
in-process after commit, and its failure is logged, as a worker's would be.
"""

import logging
import select
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .celery import app
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# The PostgreSQL notification channel the relay process listens on.
CHANNEL = "wasteparks_outbox"


def enqueue(task: Task | str, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Queue `task(*args, **kwargs)` in the current transaction; the relay publishes it after the commit.

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
    if connection.vendor == "postgresql":
        # Transactional: PostgreSQL delivers it at commit (once per transaction), never for a rollback.
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")
    return message


def _try_publish(message: OutboxMessage) -> bool:
    """Publish one locked row and record the outcome on it. False when the broker refused or was away."""
    try:
        _publish(message)
    except Exception as error:  # any broker or network error: leave the row for the next pass
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
    # retry=False: fail at once instead of Celery's reconnect loop, and let the next pass try again;
    # ignore_result: the publisher does not subscribe to the result backend (the same Redis).
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
    return sent


@contextmanager
def once(task_id: str | None) -> Iterator[bool]:
    """Run an effect at most once per outbox message, however often Celery delivers it.

        with outbox.once(self.request.id) as first:
            if first:
                send_mail(...)

    Yields False when the message with this task id was done already. The message row stays locked while
    the body runs, and is marked done when the body returns, in the same transaction: a body that raises
    (the mail server away) leaves it undone for the retry. A crash between the effect and the commit can
    still repeat it once; nothing closer to exactly once exists for a mail. A task run without an outbox
    row (eager mode, or called directly) always runs."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(task_id=task_id).first() if task_id else None
        if message is not None and message.done_at is not None:
            yield False
            return
        yield True
        if message is not None:
            message.done_at = timezone.now()
            message.save(update_fields=["done_at"])


def wait_for_messages(timeout: float) -> None:
    """Return once an enqueue has committed since the last call, or after `timeout` seconds at most.

    Listens on this process's database connection (LISTEN is per session, so it is repeated each time: the
    connection may have been replaced since). Without PostgreSQL it simply waits.
    """
    if connection.vendor != "postgresql":
        select.select([], [], [], timeout)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {CHANNEL}")
    raw = connection.connection  # the psycopg2 connection: it collects notifications as they arrive
    if not raw.notifies:
        select.select([raw], [], [], timeout)
    raw.poll()
    raw.notifies.clear()


@shared_task(name="wasteparks.outbox.relay_outbox", ignore_result=True, acks_late=True, time_limit=120)
def relay_outbox() -> int:
    """Every 30 s (beat): publish what the relay process has not (it is down, or the broker was away)."""
    return relay()
