"""Registry housekeeping tasks (thin: they call the code that does the work)."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from wasteparks.api import idempotency


@shared_task(acks_late=True, time_limit=300)
def purge_idempotency_records() -> int:
    """Idempotency keys are honoured for 24 hours; older records are dropped daily."""
    return idempotency.purge()


@shared_task(
    acks_late=True,
    time_limit=60,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=settings.TASK_RETRY_BACKOFF_MAX,  # due before the visibility timeout: never run twice
    max_retries=5,
)
def send_account_mail(*, to: str, subject: str, body: str) -> None:
    """A sign-up confirmation or an invitation (registry.accounts), queued through the outbox."""
    send_mail(subject, body, None, [to])
