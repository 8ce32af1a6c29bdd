"""Monthly waste reports filed by enterprises: tasks (thin: parse, call a service)."""

from datetime import date
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from ..services import reports as services


@shared_task(
    name="reporting.tasks.reports.send_report_reminders",
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=settings.TASK_RETRY_BACKOFF_MAX,  # due before the visibility timeout: never run twice
    max_retries=5,
    soft_time_limit=600,
    time_limit=660,
)
def send_report_reminders(today: str | None = None) -> int:
    """Daily (beat, 08:00 Asia/Shanghai): remind enterprises of reports due in three days or missed.

    Safe to run twice or on two workers at once: each reminder is recorded once before its mail goes out.
    `today` (ISO date) replays a given day; the default is today in Asia/Shanghai.
    """
    return services.send_due_reminders(today=date.fromisoformat(today) if today else None)
