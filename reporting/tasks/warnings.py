"""Early warnings: tasks.

Thin and idempotent (a rerun finds the same warnings live and raises nothing new; a mail already
recorded is not sent again), on the default `quick` queue. Transient database errors are retried with
exponential backoff, and the immediate mail also while the mail server is away. The hourly scan commits
rule by rule and, handed out again after its worker died, resumes after the last committed rule
(wasteparks/jobs.py). The transfer services'
`manifest_changed` signal, sent inside the transaction that changed a manifest, queues the manifest rules
for that manifest in the outbox of that same transaction: the check is queued exactly when the change
commits, and survives a crash right after the commit.
"""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from wasteparks import outbox
from wasteparks.jobs import JobSteps

from ..warnings import RULES, Context, engine, notifications

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
_QUICK = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_DB_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": settings.WARNING_TASK_TIME_LIMIT,
    "time_limit": settings.WARNING_TASK_TIME_LIMIT + 30,
}
# As transfers.tasks.mail_discrepancy: a mail server that is down or refuses is tried again for about six
# hours, at most TASK_RETRY_BACKOFF_MAX apart (a retry due later than the visibility timeout would run twice).
_MAIL = {
    **_QUICK,
    "autoretry_for": (*TRANSIENT_DB_ERRORS, SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": settings.TASK_RETRY_BACKOFF_MAX,
    "max_retries": 40,
}


@shared_task(bind=True, **_QUICK)
def scan_all_rules(self) -> dict:
    """Hourly (beat): every rule over everything, one transaction a rule; a redelivered scan skips the
    rules an earlier delivery committed. Returns the counts of this delivery and how many rules it ran."""
    job = JobSteps(self, total=len(RULES))
    job.report()
    ctx = Context(now=timezone.now())
    result = engine.RunResult()
    pending = job.pending(rule.code for rule in RULES)
    for rule in RULES:
        if rule.code in pending:
            result.extend(engine.apply_rule(rule=rule, ctx=ctx))
            job.step_committed(rule.code)
    job.finished()
    return {**result.as_dict(), "rules_run": len(pending)}


@shared_task(**_QUICK)
def check_manifest_rules(manifest_id: int) -> dict:
    """The manifest rules for one manifest, after a transfer service touched it."""
    return engine.check_manifest(manifest_id=manifest_id).as_dict()


@shared_task(**_MAIL)
def notify_warning(warning_id: int) -> int:
    """Mail a new critical warning to the park's officers and the enterprise's contacts at once."""
    return notifications.notify_immediately(warning_id=warning_id)


@shared_task(**_QUICK)
def send_daily_digest() -> int:
    """Daily (beat): one mail per address with the live warnings it has not been told about."""
    return notifications.send_daily_digest()


def _on_manifest_changed(sender, *, manifest_id: int, **kwargs) -> None:
    # Inside the transfer's transaction: the outbox row commits or rolls back with the change, and the
    # publish to the broker happens after commit, where a broker error never reaches the signer.
    outbox.enqueue(check_manifest_rules, manifest_id)


def _connect() -> None:
    from transfers.signals import manifest_changed

    manifest_changed.connect(_on_manifest_changed, dispatch_uid="reporting.warnings.manifest_changed")


_connect()
