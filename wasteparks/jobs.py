"""Long jobs finish or say so: progress with a heartbeat, resumable steps, and "stopped" for a silent job.

A long job (the hourly scan of every warning rule, a recompute) runs as one Celery task with `acks_late`:
if its worker dies, Redis hands the task out again after the visibility timeout, under the same task id.

- `JobSteps(task)` reports the job's progress in its Celery state (the result backend) with a heartbeat
  time after each step, and remembers the steps committed under the task id (in the cache), so a
  redelivered task resumes after the last committed step instead of starting over. If the cache forgot
  (Redis restarted), the job starts over, which is safe: every step is idempotent.
- `progress_of(task_id, queued_at=...)` is what a progress page shows. A job that has been silent for
  JOB_STALLED_AFTER (never started since it was queued, or no heartbeat since) is "stalled": its worker died
  and the redelivery has not come, or Redis lost it; the page offers to run it again.
"""

import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import Task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .celery import app
from .outages import OUTAGE_ERRORS

PROGRESS = "PROGRESS"
UNKNOWN = "UNKNOWN"  # the result backend cannot be read right now
# How long the cache keeps a job's committed steps: longer than any redelivery takes.
STEPS_KEPT_SECONDS = 24 * 3600


def _steps_key(task_id: str) -> str:
    return f"wasteparks:job-steps:{task_id}"


def report_progress(task: Task, *, done: int, total: int, **extra: Any) -> None:
    """Store "done of total" and a heartbeat in the task's state, for the page that follows the job."""
    task.update_state(state=PROGRESS, meta={"done": done, "total": total, "heartbeat": time.time(), **extra})


class JobSteps:
    """The committed steps of one running task, and its progress reports."""

    def __init__(self, task: Task, *, total: int):
        self.task = task
        self.task_id = str(task.request.id)
        self.total = total
        self.done: dict[str, Any] = cache.get(_steps_key(self.task_id)) or {}

    def pending(self, steps: Iterable[str]) -> list[str]:
        """The steps not yet committed by an earlier delivery of this task, in order."""
        return [step for step in steps if step not in self.done]

    def report(self) -> None:
        """Progress and a heartbeat, for the page that follows the job."""
        report_progress(self.task, done=len(self.done), total=self.total)

    def step_committed(self, step: str, outcome: Any = None) -> None:
        """Call once the step's transaction has committed: a redelivery skips it from now on."""
        self.done[step] = outcome
        cache.set(_steps_key(self.task_id), self.done, STEPS_KEPT_SECONDS)
        self.report()

    def finished(self) -> None:
        cache.delete(_steps_key(self.task_id))


@dataclass(frozen=True)
class Progress:
    state: str  # Celery's: PENDING (not started, or unknown), PROGRESS, SUCCESS, FAILURE, ...
    percent: int
    done: bool
    failed: bool
    stalled: bool  # silent for JOB_STALLED_AFTER: offer to run it again
    result: dict


def progress_of(task_id: str, *, queued_at: datetime | None, now: datetime | None = None) -> Progress:
    """The job's state as its progress page shows it. `queued_at`: when it was queued (None: unknown)."""
    # Read the backend directly: the same answer as AsyncResult.state. In eager mode Celery warns that
    # nothing is stored; the suite stores eager results (CELERY_TASK_STORE_EAGER_RESULT), so it does not apply.
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Results are not stored in backend", category=RuntimeWarning)
            meta = app.backend.get_task_meta(task_id)
    except OUTAGE_ERRORS:
        # Redis does not answer: the job's state is unknown for now (the page asks again), not a failure.
        return Progress(state=UNKNOWN, percent=0, done=False, failed=False, stalled=False, result={})
    state = meta.get("status", "PENDING")
    result = meta.get("result") if isinstance(meta.get("result"), dict) else {}
    now = now or timezone.now()
    stalled_after = settings.JOB_STALLED_AFTER.total_seconds()
    if state == "PENDING":
        stalled = queued_at is not None and (now - queued_at).total_seconds() > stalled_after
    elif state in (PROGRESS, "STARTED"):
        heartbeat = result.get("heartbeat")
        stalled = heartbeat is not None and now.timestamp() - float(heartbeat) > stalled_after
    else:
        stalled = False
    if state == "SUCCESS":
        percent = 100
    elif state == PROGRESS and result.get("total"):
        percent = max(5, int(100 * result.get("done", 0) / result["total"]))
    else:
        percent = 0
    return Progress(
        state=state,
        percent=percent,
        done=state == "SUCCESS",
        failed=state in ("FAILURE", "REVOKED"),
        stalled=stalled,
        result=result,
    )
