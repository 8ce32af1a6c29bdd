"""Device telemetry: the one way readings enter the platform, over HTTP and MQTT alike.

`ingest_readings()` takes a device and a batch of raw readings (parsed JSON objects) and, in one
transaction under a lock on the device's row (so a reading arriving over HTTP and MQTT at once is stored
once):
- refuses the whole batch when the device is revoked or inactive, or has sent more than its minute's
  allowance (TELEMETRY_READINGS_PER_MINUTE, across both transports; `Throttled` carries the wait);
- refuses, one by one with a reason, a reading that is malformed, stamped too far ahead of the server's
  clock or older than TELEMETRY_MAX_AGE_HOURS, names a facility that is not its enterprise's or a
  manifest its enterprise is no party to;
- ignores a reading whose (device, reading id) was already stored (a retry), whatever order they come in;
- stores the rest, and counts every outcome in the device's health (DeviceTally).

A reading: {"id": "<device's id for it>", "at": "<ISO 8601 with offset>", "value": <number>, and
optionally "lat"/"lon", "manifest": "<14-digit number>", "facility": <id>} (docs/telemetry.md).
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from registry.models import Device, DeviceKind, Facility
from transfers.models import Manifest
from wasteparks.errors import DomainError

from ..models.telemetry import DeviceTally, Reading, ReadingOutcome
from ..partitions import ensure_partitions, month_of

logger = logging.getLogger("wasteparks.telemetry")
Outcome = ReadingOutcome
VALUE_LIMIT = Decimal("1e10")


class Throttled(DomainError):
    """The device sent more than its allowance this minute; `retry_after` seconds until the next one."""

    code = "throttled"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class DeviceRevoked(DomainError):
    code = "device_revoked"
    http_status = 403


@dataclass
class Refusal:
    index: int
    reading_id: str | None
    reason: str
    message: str

    def as_dict(self) -> dict:
        return {"index": self.index, "id": self.reading_id, "reason": self.reason, "message": self.message}


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "refused": [refusal.as_dict() for refusal in self.refused],
        }


@dataclass
class _Parsed:
    index: int
    reading_id: str
    measured_at: datetime
    value: Decimal
    latitude: Decimal | None
    longitude: Decimal | None
    facility_id: int | None
    manifest_number: str | None


def _decimal(raw, *, places: int) -> Decimal | None:
    # bool is an int to Python: a device sending true is sending garbage.
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError
    number = Decimal(str(raw))
    if not number.is_finite() or abs(number) >= VALUE_LIMIT:
        raise ValueError
    return number.quantize(Decimal(1).scaleb(-places))


def _parse(index: int, raw, device: Device) -> _Parsed | Refusal:
    """One raw reading, checked for shape (no database, no clock)."""
    reading_id = raw.get("id") if isinstance(raw, dict) else None
    shown_id = reading_id if isinstance(reading_id, str) else None

    def malformed(message: str) -> Refusal:
        return Refusal(index, shown_id, Outcome.MALFORMED, message)

    if not isinstance(raw, dict):
        return malformed(_("A reading is a JSON object."))
    if not isinstance(reading_id, str) or not 1 <= len(reading_id) <= 64:
        return malformed(_("“id” is a text of 1 to 64 characters."))
    at = raw.get("at")
    measured_at = parse_datetime(at) if isinstance(at, str) else None
    if measured_at is None or timezone.is_naive(measured_at):
        return malformed(_("“at” is an ISO 8601 time with its UTC offset."))
    try:
        value = _decimal(raw.get("value"), places=4)
        latitude = None if raw.get("lat") is None else _decimal(raw["lat"], places=6)
        longitude = None if raw.get("lon") is None else _decimal(raw["lon"], places=6)
    except (ValueError, InvalidOperation):
        return malformed(_("“value”, “lat” and “lon” are numbers."))
    if latitude is not None and not -90 <= latitude <= 90 or longitude is not None and not -180 <= longitude <= 180:
        return malformed(_("“lat” and “lon” are a position on Earth."))
    if device.kind == DeviceKind.VEHICLE_GPS and (latitude is None or longitude is None):
        return malformed(_("A GPS reading carries “lat” and “lon”."))
    facility_id = raw.get("facility")
    if facility_id is not None and (isinstance(facility_id, bool) or not isinstance(facility_id, int)):
        return malformed(_("“facility” is a facility's id."))
    manifest_number = raw.get("manifest")
    if manifest_number is not None and not (
        isinstance(manifest_number, str) and manifest_number.isdigit() and len(manifest_number) == 14
    ):
        return malformed(_("“manifest” is a 14-digit manifest number."))
    return _Parsed(
        index=index,
        reading_id=reading_id,
        measured_at=measured_at,
        value=value,  # type: ignore[arg-type]
        latitude=latitude,
        longitude=longitude,
        facility_id=facility_id if facility_id is not None else device.facility_id,
        manifest_number=manifest_number,
    )


def _take_allowance(device: Device, count: int, now: datetime) -> int | None:
    """Count `count` readings against the device's minute; the seconds to wait when over, else None."""
    key = f"telemetry:minute:{device.pk}:{int(now.timestamp()) // 60}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key, count)
    except ValueError:
        # The cache lost the key between add and incr (or is away): let the readings through rather than
        # refuse a device for the cache's sake.
        return None
    if used > settings.TELEMETRY_READINGS_PER_MINUTE:
        return 60 - int(now.timestamp()) % 60
    return None


def record_outcomes(*, device: Device, outcomes: Counter, details: dict[str, str], now: datetime) -> None:
    """Add to the device's health tallies (one upsert per outcome)."""
    for outcome, count in outcomes.items():
        detail = details.get(outcome, "")[:200]
        updated = DeviceTally.objects.filter(device=device, outcome=outcome).update(
            count=F("count") + count, last_at=now, last_detail=detail
        )
        if not updated:
            _, created = DeviceTally.objects.get_or_create(
                device=device, outcome=outcome, defaults={"count": count, "last_at": now, "last_detail": detail}
            )
            if not created:
                DeviceTally.objects.filter(device=device, outcome=outcome).update(
                    count=F("count") + count, last_at=now, last_detail=detail
                )


def refuse_device(
    *, device: Device, reason: str = Outcome.REVOKED, count: int = 1, now: datetime | None = None
) -> None:
    """Count readings of a device refused before they were read (revoked credential, inactive device)."""
    now = now or timezone.now()
    with transaction.atomic():
        record_outcomes(
            device=device, outcomes=Counter({reason: count}), details={reason: str(Outcome(reason).label)}, now=now
        )


def ingest_readings(*, device: Device, readings: list, source: str, now: datetime | None = None) -> IngestResult:
    """Store a device's batch of readings (see the module docstring). The device is the actor.

    Raises DeviceRevoked or Throttled, with the refusal already counted in the device's health."""
    now = now or timezone.now()
    device = Device.objects.select_related("client").get(pk=device.pk)
    if not device.active or device.client.revoked_at is not None:
        refuse_device(device=device, reason=Outcome.REVOKED, count=len(readings), now=now)
        raise DeviceRevoked(_("This device is revoked or inactive; its readings are refused."))
    wait = _take_allowance(device, len(readings), now)
    if wait is not None:
        refuse_device(device=device, reason=Outcome.THROTTLED, count=len(readings), now=now)
        raise Throttled(
            _("Too many readings from this device; send again in %(seconds)s s.") % {"seconds": wait},
            retry_after=wait,
        )
    return _store_readings(device=device, readings=readings, source=source, now=now)


@transaction.atomic
def _store_readings(*, device: Device, readings: list, source: str, now: datetime) -> IngestResult:
    # Lock the device: the same reading arriving over both transports at once is checked and stored once.
    device = Device.objects.select_for_update(of=("self",)).get(pk=device.pk)
    result = IngestResult()
    parsed: list[_Parsed] = []
    earliest = now - timedelta(hours=settings.TELEMETRY_MAX_AGE_HOURS)
    latest = now + timedelta(seconds=settings.TELEMETRY_MAX_FUTURE_SECONDS)
    for index, raw in enumerate(readings):
        item = _parse(index, raw, device)
        if isinstance(item, Refusal):
            result.refused.append(item)
        elif item.measured_at > latest:
            result.refused.append(
                Refusal(
                    index, item.reading_id, Outcome.IN_FUTURE, _("The reading's time is ahead of the server's clock.")
                )
            )
        elif item.measured_at < earliest:
            result.refused.append(
                Refusal(index, item.reading_id, Outcome.TOO_OLD, _("The reading is older than the platform accepts."))
            )
        else:
            parsed.append(item)

    facility_ids = {p.facility_id for p in parsed if p.facility_id is not None}
    own_facilities = set(
        Facility.objects.filter(pk__in=facility_ids, enterprise_id=device.enterprise_id).values_list("pk", flat=True)
    )
    numbers = {p.manifest_number for p in parsed if p.manifest_number}
    manifests = dict(
        Manifest.objects.filter(number__in=numbers).filter(_manifest_party(device)).values_list("number", "pk")
    )
    # Every reading id this device already stored inside the window a reading is accepted in: partition
    # pruning keeps this to one or two months, whatever the table's size.
    known = set(
        Reading.objects.filter(
            device=device,
            measured_at__gte=earliest,
            measured_at__lte=latest,
            reading_id__in=[p.reading_id for p in parsed],
        ).values_list("reading_id", flat=True)
    )
    rows = []
    for item in parsed:
        if item.facility_id is not None and item.facility_id not in own_facilities:
            result.refused.append(
                Refusal(
                    item.index,
                    item.reading_id,
                    Outcome.FOREIGN_FACILITY,
                    _("The facility is not this device's enterprise's."),
                )
            )
            continue
        if item.manifest_number and item.manifest_number not in manifests:
            result.refused.append(
                Refusal(
                    item.index,
                    item.reading_id,
                    Outcome.UNKNOWN_MANIFEST,
                    _("No manifest with this number has this device's enterprise as a party."),
                )
            )
            continue
        if item.reading_id in known:
            result.duplicates.append(item.reading_id)
            continue
        known.add(item.reading_id)
        rows.append(
            Reading(
                device=device,
                reading_id=item.reading_id,
                measured_at=item.measured_at,
                received_at=now,
                source=source,
                value=item.value,
                latitude=item.latitude,
                longitude=item.longitude,
                facility_id=item.facility_id,
                manifest_id=manifests.get(item.manifest_number) if item.manifest_number else None,
            )
        )
    if rows:
        ensure_partitions([month_of(row.measured_at) for row in rows])
        Reading.objects.bulk_create(rows)
    result.accepted = len(rows)

    outcomes: Counter = Counter(refusal.reason for refusal in result.refused)
    details = {
        refusal.reason: f"{refusal.reading_id or '#' + str(refusal.index)}: {refusal.message}"
        for refusal in result.refused
    }
    if result.accepted:
        outcomes[Outcome.ACCEPTED] = result.accepted
    if result.duplicates:
        outcomes[Outcome.DUPLICATE] = len(result.duplicates)
        details[Outcome.DUPLICATE] = result.duplicates[-1]
    record_outcomes(device=device, outcomes=outcomes, details=details, now=now)
    if result.refused:
        logger.info("device %s: %s readings refused (%s)", device.pk, len(result.refused), dict(outcomes))
    return result


def _manifest_party(device: Device) -> Q:
    """The manifests a device's readings may name: a vehicle's are its carrier's trips; a weighbridge's
    the loads its enterprise sends or receives."""
    if device.kind == DeviceKind.VEHICLE_GPS:
        return Q(carrier_id=device.enterprise_id)
    return Q(consignor_id=device.enterprise_id) | Q(receiver_id=device.enterprise_id)
