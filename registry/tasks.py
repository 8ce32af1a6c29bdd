"""Registry housekeeping tasks (thin: they call the code that does the work)."""

from celery import shared_task

from wasteparks.api import idempotency


@shared_task(acks_late=True, time_limit=300)
def purge_idempotency_records() -> int:
    """Idempotency keys are honoured for 24 hours; older records are dropped daily."""
    return idempotency.purge()
