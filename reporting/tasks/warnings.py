"""Early warnings: tasks.

Thin and idempotent (a rerun finds the same warnings live and raises nothing new; a mail already
recorded is not sent again), on the default `quick` queue. Transient database errors are retried with
exponential backoff. The transfer services' `manifest_changed` signal (sent after commit) queues the
manifest rules for that manifest.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from wasteparks import outbox

from ..services import warnings as services

logger = logging.getLogger(__name__)

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
    return services.run_rules().as_dict()


@shared_task(**_QUICK)
def check_manifest_rules(manifest_id: int) -> dict:
    """The manifest rules for one manifest, after a transfer service touched it."""
    return services.check_manifest(manifest_id=manifest_id).as_dict()


@shared_task(**_QUICK)
def notify_warning(warning_id: int) -> int:
    """Mail a new critical warning to the park's officers and the enterprise's contacts at once."""
    return services.notify_immediately(warning_id=warning_id)


@shared_task(**_QUICK)
def send_daily_digest() -> int:
    """Daily (beat): one mail per address with the live warnings it has not been told about."""
    return services.send_daily_digest()


def _on_manifest_changed(sender, *, manifest_id: int, **kwargs) -> None:
    # Sent after the transfer's commit. A failure to queue must not turn a committed signature into an
    # error for the signer: log it; the hourly scan evaluates the manifest anyway.
    try:
        outbox.enqueue_now(check_manifest_rules, manifest_id)
    except Exception:
        logger.exception("Could not check the warning rules of manifest %s", manifest_id)


def _connect() -> None:
    from transfers.signals import manifest_changed

    manifest_changed.connect(_on_manifest_changed, dispatch_uid="reporting.warnings.manifest_changed")


_connect()
