"""Device telemetry: tasks. Thin and idempotent, on the `quick` queue (reporting/tasks/warnings.py has the
retry policy): the device cross-check rules every five minutes, and the readings' monthly partitions made
ahead once a day."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from ..partitions import ensure_partitions, month_of, months_from
from ..warnings import engine
from ..warnings.rules import DEVICE_RULES
from .warnings import _QUICK


@shared_task(**_QUICK)
def scan_device_rules() -> dict:
    """Every five minutes (beat): the device rules over everything, one transaction a rule."""
    return engine.run_rules(rules=DEVICE_RULES).as_dict()


@shared_task(**_QUICK)
def create_reading_partitions() -> list[str]:
    """Daily (beat): this month's partition and TELEMETRY_PARTITIONS_AHEAD more; existing ones are kept."""
    return ensure_partitions(months_from(month_of(timezone.now()), settings.TELEMETRY_PARTITIONS_AHEAD + 1))
