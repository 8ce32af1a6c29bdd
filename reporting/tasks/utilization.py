"""Utilization-rate snapshots: tasks.

Thin and idempotent: they take ids and periods, call reporting.services.utilization, and may run twice
with the same result (a recompute writes the period's rows in one transaction). Accepting a monthly
report queues `refresh_park_period` through the outbox (reporting.services.reports). All of them go to
the `long` queue (CELERY_TASK_ROUTES). Transient database errors (a deadlock, a lost connection) are
retried with exponential backoff; bad input (a future period, an unknown park) is not retried. A worker
killed mid-task leaves the task to be handed out again after the visibility timeout, which settings.py
sizes to these tasks' time limit (acks_late; a killed pool process is requeued at once).
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from wasteparks.jobs import JobSteps

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
    """One park's enterprises, the park and its province for one month (an officer's recompute from the
    web). Reports its progress in the task state for the page that started it."""
    try:
        park = services.resolve_park(park_id)
        services.check_period(year=year, month=month)
    except PeriodNotComputable as error:
        # Bad input is final: retrying would fail the same way.
        logger.warning("recompute_park_period(%s, %s, %s) refused: %s", park_id, year, month, error.message)
        raise
    # Started: the page that follows the job sees a heartbeat (wasteparks/jobs.py).
    JobSteps(self, total=1).report()
    return _summary(services.recompute_period(year=year, month=month, park=park))


@shared_task(bind=True, **_LONG)
def recompute_span(self, park_id: int, year: int, month: int | None = None, whole_province: bool = False) -> dict:
    """An officer's recompute from the web of one month or (month None) every begun month of a year, for
    one park or (whole_province) the park's whole province. One transaction per month; reports "N of M
    months" after each (wasteparks/jobs.py), and a redelivered task resumes after the last month done."""
    try:
        park = services.resolve_park(park_id)
        months = (
            [services.check_period(year=year, month=month)] if month is not None else services.months_of_year(year=year)
        )
    except PeriodNotComputable as error:
        logger.warning("recompute_span(%s, %s, %s) refused: %s", park_id, year, month, error.message)
        raise
    province_code = park.division.province_code if whole_province else None
    job = JobSteps(self, total=len(months))
    job.report()
    try:
        for period in months:
            if str(period) in job.done:
                continue
            result = services.recompute_period(
                year=period.year,
                month=period.month,
                park=None if whole_province else park,
                province_code=province_code,
            )
            job.step_committed(str(period), result.rows)
    except SoftTimeLimitExceeded:
        # A year at province scale may outlast one delivery's time limit: the months committed so far
        # stay done, and the retry (same task id) goes on from the next one.
        raise self.retry(countdown=1) from None
    rows = sum(job.done.values())
    job.finished()
    return {
        "year": year,
        "month": month,
        "park_id": park.pk,
        "province_code": province_code,
        "months": len(months),
        "rows": rows,
    }


@shared_task(**_LONG)
def refresh_park_period(park_id: int, year: int, month: int) -> dict | None:
    """After a monthly report is accepted (queued by the accepting service): recompute the park's month
    if that month has been computed already. A month that cannot be computed is logged, not retried."""
    try:
        park = services.resolve_park(park_id)
        result = services.refresh_park_period(park=park, year=year, month=month)
    except PeriodNotComputable as error:
        logger.warning("No recompute after report acceptance: %s", error.message)
        return None
    return _summary(result) if result is not None else None
