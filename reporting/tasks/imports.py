"""Platform imports: the scheduled pull from the battery platform. Thin and idempotent: a pull that runs
twice books each record once (reporting/imports/services.py)."""

from celery import shared_task

from registry.models import Park

from ..imports.pull import pull_platform_records
from .warnings import _QUICK


@shared_task(**_QUICK)
def pull_battery_platform(park_id: int) -> int | None:
    """Pull the battery platform's records for one park; returns the import run's id."""
    park = Park.objects.get(pk=park_id)
    run = pull_platform_records(park=park)
    return run.pk if run else None
