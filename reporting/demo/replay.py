"""Replaying the past: the platform's own services run as if it were a given moment.

The services read the time from `django.utils.timezone.now` (signatures, ledger entries, lateness,
date windows), so the demo sets that clock to each moment of its story, as the test suite does. What
those services would queue for later (per-manifest warning checks, mails about a two-year-old
discrepancy, a park refresh after a report is accepted) is not sent: the replay runs the scheduled jobs
themselves, the warning scan and the month's recompute, at the moments the schedule would have.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from wasteparks import outbox


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    """Make the services believe it is `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@contextmanager
def side_effects_held() -> Iterator[list[str]]:
    """While replaying, record the tasks the services queue instead of queueing them."""
    held: list[str] = []

    def hold(task, *args, **kwargs):
        held.append(task if isinstance(task, str) else task.name)

    with mock.patch.object(outbox, "enqueue", side_effect=hold):
        yield held
