"""Devices as the officers' pages show them: each with its latest reading and its health, in a constant
number of queries whatever the number of devices (the latest reading through the readings' primary key,
on the newest partitions only)."""

from datetime import datetime, timedelta

from django.db.models import CharField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat

from registry.models import Device

from ..models.telemetry import DeviceTally, Reading, ReadingOutcome
from ..models.warnings import LIVE_STATUSES, Warning
from ..warnings.devices import DeviceSilent

# A latest reading older than this is not "live": the page shows none (DEVICE_SILENT says the rest).
LIVE_WINDOW = timedelta(hours=24)
REFUSALS = [outcome for outcome in ReadingOutcome.values if outcome not in ("accepted", "duplicate")]


def devices_with_health(enterprises: QuerySet, *, now: datetime) -> QuerySet:
    """The active devices of `enterprises` with `latest_value`, `latest_at`, `accepted`, `refused`,
    `last_refusal` (its reason) and `last_refusal_at`, and `silent_warning` (an open DEVICE_SILENT
    warning) annotated."""
    readings = Reading.objects.filter(device=OuterRef("pk"), measured_at__gte=now - LIVE_WINDOW).order_by(
        "-measured_at"
    )

    def tally(outcomes) -> Coalesce:
        rows = (
            DeviceTally.objects.filter(device=OuterRef("pk"), outcome__in=outcomes)
            .order_by()
            .values("device")
            .annotate(total=Sum("count"))
            .values("total")
        )
        return Coalesce(Subquery(rows), 0)

    # DEVICE_SILENT's dedup key names the device (reporting/warnings/devices.py: rule.key(device id)).
    silent = Warning.objects.filter(
        rule=DeviceSilent.code,
        status__in=LIVE_STATUSES,
        dedup_key=Concat(Value(f"{DeviceSilent.code}:"), Cast(OuterRef("pk"), CharField())),
    ).values("pk")[:1]
    last_refusal = DeviceTally.objects.filter(device=OuterRef("pk"), outcome__in=REFUSALS).order_by("-last_at")
    return (
        Device.objects.filter(enterprise__in=enterprises, active=True)
        .select_related("enterprise", "facility")
        .annotate(
            latest_value=Subquery(readings.values("value")[:1]),
            latest_at=Subquery(readings.values("measured_at")[:1]),
            accepted=tally(["accepted"]),
            refused=tally(REFUSALS),
            silent_warning=Subquery(silent),
            last_refusal=Subquery(last_refusal.values("last_detail")[:1]),
            last_refusal_at=Subquery(last_refusal.values("last_at")[:1]),
        )
        .order_by("enterprise__name", "name")
    )
