"""Early warnings: tasks.

Thin and idempotent (a rerun finds the same warnings live and raises nothing new; a mail already
recorded is not sent again), on the default `quick` queue. Transient database errors are retried with
exponential backoff. The transfer services' `manifest_changed` signal, sent inside the transaction that
changed a manifest, queues the manifest rules for that manifest in the outbox of that same transaction:
the check is queued exactly when the change commits, and survives a crash right after the commit.
"""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from wasteparks import outbox

from ..warnings import engine, notifications

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


@shared_task(**_QUICK)
def scan_all_rules() -> dict:
    """Hourly (beat): every rule over everything."""
    return engine.run_rules().as_dict()


@shared_task(**_QUICK)
def check_manifest_rules(manifest_id: int) -> dict:
    """The manifest rules for one manifest, after a transfer service touched it."""
    return engine.check_manifest(manifest_id=manifest_id).as_dict()


@shared_task(**_QUICK)
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
