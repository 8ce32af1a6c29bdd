"""Utilization-rate snapshots: tasks.

Thin and idempotent: they take ids and periods, call reporting.services.utilization, and may run twice
with the same result (a recompute replaces the period's rows in one transaction). All of them go to
the `long` queue (CELERY_TASK_ROUTES). Transient database errors (a deadlock, a lost connection) are
retried with exponential backoff; bad input (a future period, an unknown park) is not retried.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from wasteparks import outbox

from ..services import utilization as services
from ..services.utilization import PeriodNotComputable

logger = logging.getLogger(__name__)

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
_LONG = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_DB_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": settings.UTILIZATION_TASK_TIME_LIMIT,
    "time_limit": settings.UTILIZATION_TASK_TIME_LIMIT + 60,
}


def _summary(result: services.RecomputeResult) -> dict:
    return {"year": result.year, "month": result.month, "park_id": result.park_id, "rows": result.rows}


@shared_task(**_LONG)
def recompute_recent_months() -> list[dict]:
    """Nightly (beat): the previous and the current month, every park and province."""
    return [_summary(result) for result in services.recompute_recent_months()]


@shared_task(bind=True, **_LONG)
def recompute_park_period(self, park_id: int, year: int, month: int) -> dict:
    """One park's enterprises, the park and its province for one month (from the web, or after a late
    report is accepted). Reports its progress in the task state for the page that started it."""
    try:
        park = services.resolve_park(park_id)
        services.check_period(year=year, month=month)
    except PeriodNotComputable as error:
        # Bad input is final: retrying would fail the same way.
        logger.warning("recompute_park_period(%s, %s, %s) refused: %s", park_id, year, month, error.message)
        raise
    self.update_state(state="PROGRESS", meta={"done": 0, "total": 1, "park_id": park_id})
    return _summary(services.recompute_period(year=year, month=month, park=park))


@shared_task(bind=True, **_LONG)
def recompute_year_task(self, year: int, park_id: int | None = None) -> list[dict]:
    """Every begun month of a year (the command's work, queued from the web)."""
    park = services.resolve_park(park_id) if park_id is not None else None

    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total, "year": year, "park_id": park_id})

    return [_summary(result) for result in services.recompute_year(year=year, park=park, progress=progress)]


def queue_park_recompute(*, park_id: int, year: int, month: int) -> None:
    """Validate now (a clear error for the caller), queue after the caller's transaction commits."""
    services.resolve_park(park_id)
    services.check_period(year=year, month=month)
    outbox.enqueue(recompute_park_period, park_id, year, month)


def _on_report_accepted(sender, *, park_id: int, year: int, month: int, **kwargs) -> None:
    # A late report changes no ledger row by itself, but its acceptance is the moment officers expect the
    # park's figures to be current: recompute that park and month (the signal is sent after commit).
    try:
        queue_park_recompute(park_id=park_id, year=year, month=month)
    except PeriodNotComputable as error:
        logger.warning("No recompute after report acceptance: %s", error.message)


def _connect() -> None:
    try:
        from ..signals import report_accepted
    except ImportError:  # the monthly reports module is not there (yet)
        return
    report_accepted.connect(_on_report_accepted, dispatch_uid="reporting.utilization.report_accepted")


_connect()
