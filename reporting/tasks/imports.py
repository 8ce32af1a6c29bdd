"""Platform imports: the scheduled pull from the battery platform. Thin and idempotent: a pull that runs
twice books each record once (reporting/imports/services.py)."""

from celery import shared_task
from django.conf import settings

from registry.models import Park
from wasteparks.parsing import ascii_whole_number

from ..imports.pull import pull_platform_records
from .warnings import _QUICK


@shared_task(**_QUICK)
def pull_battery_platform_nightly() -> int:
    """Queue one pull a configured park (BATTERY_PLATFORM_PARKS): one park's failure leaves the others'.
    Returns how many were queued."""
    if not settings.BATTERY_PLATFORM_URL:
        return 0
    ids = [number for raw in settings.BATTERY_PLATFORM_PARKS if (number := ascii_whole_number(raw)) is not None]
    parks = list(Park.objects.filter(pk__in=ids).values_list("pk", flat=True))
    for park_id in parks:
        pull_battery_platform.delay(park_id)
    return len(parks)


@shared_task(**_QUICK)
def pull_battery_platform(park_id: int) -> int | None:
    """Pull the battery platform's records for one park; returns the import run's id."""
    park = Park.objects.get(pk=park_id)
    run = pull_platform_records(park=park)
    return run.pk if run else None
