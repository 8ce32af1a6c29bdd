"""Transfers: tasks. Thin: take ids, call the notification, retry while the mail server is away."""

from decimal import Decimal
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from wasteparks import outbox

from . import notifications


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    # For about six hours, at most TASK_RETRY_BACKOFF_MAX apart (a retry due after the visibility timeout
    # would run twice).
    retry_backoff_max=settings.TASK_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=40,
)
def mail_discrepancy(self, manifest_id: int, tolerance: str) -> int:
    """Tell the consignor about a quantity discrepancy found at receipt (queued by the receipt); once, even
    when the message is delivered again (a worker lost after sending)."""
    with outbox.once(self.request.id) as first:
        if not first:
            return 0
        return notifications.mail_discrepancy(manifest_id=manifest_id, tolerance=Decimal(tolerance))


@shared_task(acks_late=True, time_limit=3600)
def derive_management_classes() -> int:
    """Every January (beat): derive again the HJ 1259-2022 class of every active enterprise from the
    ledger of the last three years. One transaction per enterprise, so one failure stops no other; a run
    repeated changes nothing. Returns the number of class history steps written."""
    from django.utils.translation import gettext as _

    from registry.models import Enterprise

    from .services.classes import derive_management_class

    written = 0
    for enterprise in Enterprise.objects.active().order_by("pk").iterator():
        written += derive_management_class(enterprise=enterprise, actor=None, occasion=_("Yearly review")) is not None
    return written
