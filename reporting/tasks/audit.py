"""The nightly verification of the audit hash chain (wasteparks/audit.py): a thin task."""

import logging

from celery import shared_task
from django.utils import timezone

from ..warnings import NIGHTLY_RULES, Context, apply_rule

logger = logging.getLogger(__name__)


@shared_task(name="reporting.tasks.audit.verify_audit_chain", acks_late=True, soft_time_limit=3000, time_limit=3300)
def verify_audit_chain() -> int:
    """Nightly (beat, 02:45 Asia/Shanghai): recompute the chain, log every problem at ERROR, and bring the
    AUDIT_CHAIN_BROKEN warnings in line with what it found (reporting/warnings/audit.py).

    Running it twice finds the same break and opens no second warning. Returns the number of problems.
    """
    ctx = Context(now=timezone.now())
    problems = ctx.audit_problems  # verified once, outside the warnings' transaction
    for problem in problems:
        logger.error("audit chain broken: %s", problem)
    for rule in NIGHTLY_RULES:
        apply_rule(rule=rule, ctx=ctx)
    return len(problems)
