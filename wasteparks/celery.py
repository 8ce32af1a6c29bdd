"""The Celery application. Tasks live in each app's tasks.py and are found by autodiscovery.

Workers are supervised from outside: docker-compose restarts a worker that exits and ends one whose
consumer has stopped (docs/operations.md). For the second, `celery worker --liveness-file PATH` touches
PATH every few seconds while the worker's consumer is connected and its event loop turns; the file goes
stale when the consumer dies, hangs, or has been waiting for the broker, and the container's health check
reads its age. The broker settings that keep a worker alive through a Redis outage are in settings.py.
"""

import os
from pathlib import Path

from celery import Celery, bootsteps
from click import Option

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wasteparks.settings")

app = Celery("wasteparks")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Seconds between touches of the liveness file; a health check allows several missed ones.
LIVENESS_INTERVAL = 5.0


class LivenessFile(bootsteps.StartStopStep):
    """A consumer step: runs while the consumer runs (stopped on connection loss, started on reconnect)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, liveness_file: str | None = None, **kwargs):
        super().__init__(parent, **kwargs)
        self.path = Path(liveness_file) if liveness_file else None
        self.tref = None
        # From the start: a worker that never gets its consumer running goes stale like one that stopped.
        self.touch()

    def start(self, parent) -> None:
        if self.path is None:
            return
        self.touch()
        # On the consumer's timer: with the event loop stopped, nothing touches the file.
        self.tref = parent.timer.call_repeatedly(LIVENESS_INTERVAL, self.touch, priority=10)

    def stop(self, parent) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def touch(self) -> None:
        if self.path is not None:
            self.path.touch()


app.user_options["worker"].add(
    Option(
        ("--liveness-file",),
        default=None,
        help="Touch this file every few seconds while the consumer runs (for a container health check).",
    )
)
app.steps["consumer"].add(LivenessFile)
