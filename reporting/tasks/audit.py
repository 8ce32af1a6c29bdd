"""The nightly verification of the audit hash chain (wasteparks/audit.py): a thin task."""

import logging

from celery import shared_task

from wasteparks import audit

logger = logging.getLogger(__name__)


@shared_task(name="reporting.tasks.audit.verify_audit_chain", acks_late=True, soft_time_limit=3000, time_limit=3300)
def verify_audit_chain() -> int:
    """Nightly (beat, 02:45 Asia/Shanghai): recompute the chain; every problem is logged at ERROR.

    Read-only, so running it twice is harmless. Returns the number of problems found.
    """
    problems = audit.verify()
    for problem in problems:
        logger.error("audit chain broken: %s", problem)
    return len(problems)
