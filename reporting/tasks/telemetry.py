"""Device telemetry: tasks. Thin and idempotent, on the `quick` queue (reporting/tasks/warnings.py has the
retry policy): the device cross-check rules every five minutes. The readings' monthly partitions are made
ahead by the daily task of every time-partitioned table (wasteparks.partitions.create_partitions)."""

from celery import shared_task

from ..warnings import engine
from ..warnings.rules import DEVICE_RULES
from .warnings import _QUICK


@shared_task(**_QUICK)
def scan_device_rules() -> dict:
    """Every five minutes (beat): the device rules over everything, one transaction a rule."""
    return engine.run_rules(rules=DEVICE_RULES).as_dict()
