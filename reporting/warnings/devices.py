"""Early-warning rules on device telemetry (docs/telemetry.md): the devices' readings cross-checked against
what the enterprises declare, and the devices themselves falling silent.

    WEIGHBRIDGE_MISMATCH     the receiver's weighbridge ticket differs from the declared or received quantity
    STORAGE_SENSOR_MISMATCH  a storage sensor's latest weight differs from the ledger's stock on hand
    COLD_STORE_TOO_WARM      a medical waste cold store's latest temperature above its limit (5 °C)
    COLD_CHAIN_BREACH        ... and above it without a break for longer than the breach minutes
    VEHICLE_STOPPED          a loaded vehicle in transit standing still longer than allowed
    DEVICE_SILENT            a device without a reading for too many of its reporting intervals

Each reads the newest partitions of the readings table only (a look-back window), through the primary
key (device, measured_at) or the manifest index, with one query per distinct threshold value in force
(a province has one or two), never one per device. Off-route vehicles and transit time beyond
expectation are routes.py's.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, DateTimeField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from registry.models import Device, DeviceKind
from transfers.models import Manifest, ManifestLine, ManifestStatus, StockBalance

from ..models.telemetry import DeviceTally, Reading, ReadingOutcome
from ..models.thresholds import ThresholdKey
from ..models.utilization import rate_pct
from ..models.warnings import Severity
from .base import CENT, HUNDRED, TONNES, ZERO, Context, Finding, Rule, text

K = ThresholdKey
# How far back the temperature and vehicle rules look: an excursion or a stop longer than this is
# reported as at least this long.
LOOK_BACK = timedelta(hours=24)
# A weighbridge ticket is compared while its manifest is recent; older tickets were settled long ago.
TICKET_LOOK_BACK = timedelta(days=90)


def _by_value(ctx: Context, key: str, park_ids) -> dict:
    """Park ids grouped by the value of `key` in force in each."""
    groups: dict = defaultdict(set)
    for park_id in park_ids:
        groups[ctx.thresholds.for_park(park_id)[key]].add(park_id)
    return groups


def _latest(queryset, field: str):
    return Subquery(queryset.order_by("-measured_at").values(field)[:1])


def vehicle_positions(*, since):
    """The readings of the carrier's GPS units on a manifest since `since`: a subquery of a manifest query
    (OuterRef "pk" and "carrier_id"), for every rule on a vehicle's journey (here and routes.py)."""
    return Reading.objects.filter(
        manifest=OuterRef("pk"),
        measured_at__gte=since,
        device__kind=DeviceKind.VEHICLE_GPS,
        device__enterprise=OuterRef("carrier_id"),
    )


def vehicle_finding(rule: Rule, row: dict, *, params: dict, evidence: dict) -> Finding:
    """A finding on a manifest's vehicle at its latest position (`row`: the manifest's number, plate,
    carrier, park, and the position's `latest_at`, `lat`, `lon`), raised against the carrier."""
    return Finding(
        dedup_key=rule.key(row["pk"]),
        park_id=row["consignor__park_id"],
        enterprise_id=row["carrier_id"],
        manifest_id=row["pk"],
        params={"number": row["number"], "plate": row["vehicle_plate"] or "—", "lat": row["lat"], "lon": row["lon"]}
        | params,
        evidence=evidence
        | {
            "last_position_at": text(row["latest_at"]),
            "latitude": text(row["lat"]),
            "longitude": text(row["lon"]),
        },
    )


def _readings_of(since):
    return Reading.objects.filter(device=OuterRef("pk"), measured_at__gte=since)


def warm_cold_stores(ctx: Context) -> dict[int, dict]:
    """The thermometers whose latest reading is above their park's cold-store limit, by device id, with
    the reading and when the excursion began (the first warm reading after the last cool one)."""
    since = ctx.now - LOOK_BACK
    thermometers = Device.objects.filter(kind=DeviceKind.THERMOMETER, active=True, facility__isnull=False)
    park_ids = set(thermometers.values_list("enterprise__park_id", flat=True))
    result = {}
    for max_c, parks in _by_value(ctx, K.COLD_STORE_MAX_C, park_ids).items():
        readings = _readings_of(since)
        rows = (
            thermometers.filter(enterprise__park_id__in=parks)
            .annotate(
                latest_value=_latest(readings, "value"),
                latest_at=_latest(readings, "measured_at"),
                last_cool_at=_latest(readings.filter(value__lte=max_c), "measured_at"),
            )
            .filter(latest_value__gt=max_c)
            .annotate(
                warm_since=Subquery(
                    Reading.objects.filter(
                        device=OuterRef("pk"),
                        measured_at__gte=since,
                        measured_at__gt=Coalesce(OuterRef("last_cool_at"), Value(since, output_field=DateTimeField())),
                        value__gt=max_c,
                    )
                    .order_by("measured_at")
                    .values("measured_at")[:1]
                )
            )
            .values(
                "pk",
                "name",
                "facility_id",
                "facility__name",
                "enterprise_id",
                "enterprise__name",
                "enterprise__park_id",
                "latest_value",
                "latest_at",
                "warm_since",
            )
        )
        for row in rows:
            result[row["pk"]] = {**row, "max_c": max_c}
    return result


class ColdStoreTooWarm(Rule):
    """A medical waste cold store whose thermometer's latest reading is above the limit: its waste is
    no longer "below 5 °C" (STORAGE_OVER_LIMIT then counts the shorter limit for it)."""

    code = "COLD_STORE_TOO_WARM"
    message_zh = "{enterprise} 的医疗废物冷库 {facility} 温度 {value} °C，高于 {limit} °C（{at}）。"
    message_en = "Medical waste cold store {facility} of {enterprise} is at {value} °C, above {limit} °C ({at})."

    def findings(self, ctx):
        return [self._finding(row) for row in warm_cold_stores(ctx).values() if self._applies(ctx, row)]

    def _applies(self, ctx, row) -> bool:
        return True

    def _finding(self, row) -> Finding:
        return Finding(
            dedup_key=self.key(row["pk"]),
            park_id=row["enterprise__park_id"],
            enterprise_id=row["enterprise_id"],
            facility_id=row["facility_id"],
            params={
                "enterprise": row["enterprise__name"],
                "facility": row["facility__name"],
                "value": row["latest_value"],
                "limit": row["max_c"],
                "at": row["latest_at"],
                "minutes": self._minutes(row),
            },
            evidence={
                "device": row["pk"],
                "device_name": row["name"],
                "temperature_c": text(row["latest_value"]),
                "limit_c": text(row["max_c"]),
                "measured_at": text(row["latest_at"]),
                "warm_since": text(row["warm_since"]),
                "minutes_above": self._minutes(row),
            },
        )

    @staticmethod
    def _minutes(row) -> int:
        return int((row["latest_at"] - row["warm_since"]).total_seconds() // 60)


class ColdChainBreach(ColdStoreTooWarm):
    """The cold store has stayed above the limit, reading after reading, for longer than the park's
    breach minutes: the cold chain is broken, not merely a door left open."""

    code = "COLD_CHAIN_BREACH"
    severity = Severity.CRITICAL
    message_zh = "{enterprise} 的医疗废物冷库 {facility} 已连续 {minutes} 分钟高于 {limit} °C，冷链中断。"
    message_en = (
        "Cold chain broken: cold store {facility} of {enterprise} has been above {limit} °C for {minutes} minutes."
    )

    def _applies(self, ctx, row) -> bool:
        return self._minutes(row) > ctx.thresholds.for_park(row["enterprise__park_id"])[K.COLD_CHAIN_BREACH_MINUTES]


class DeviceSilent(Rule):
    """An active device with no accepted reading for more than the park's number of its intervals."""

    code = "DEVICE_SILENT"
    message_zh = "{enterprise} 的设备 {device} 已 {minutes} 分钟无数据（上报周期 {interval} 秒）。"
    message_en = "Device {device} of {enterprise} has sent nothing for {minutes} minutes (interval {interval} s)."

    def findings(self, ctx):
        last = DeviceTally.objects.filter(device=OuterRef("pk"), outcome=ReadingOutcome.ACCEPTED).values("last_at")
        devices = Device.objects.filter(active=True, client__revoked_at__isnull=True).annotate(
            last_reading_at=Coalesce(Subquery(last[:1]), F("created_at"))
        )
        # The loosest cut in SQL (one second per allowed interval: devices report at most every second);
        # each row is then held against its own interval and park's value. The device table is small.
        shortest = ctx.thresholds.smallest(K.DEVICE_SILENT_INTERVALS)
        candidates = devices.filter(last_reading_at__lt=ctx.now - timedelta(seconds=shortest))
        result = []
        for row in candidates.values(
            "pk",
            "name",
            "interval_s",
            "facility_id",
            "enterprise_id",
            "enterprise__name",
            "enterprise__park_id",
            "last_reading_at",
        ):
            intervals = ctx.thresholds.for_park(row["enterprise__park_id"])[K.DEVICE_SILENT_INTERVALS]
            silent_for = ctx.now - row["last_reading_at"]
            if silent_for <= timedelta(seconds=row["interval_s"] * intervals):
                continue
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"]),
                    park_id=row["enterprise__park_id"],
                    enterprise_id=row["enterprise_id"],
                    facility_id=row["facility_id"],
                    params={
                        "enterprise": row["enterprise__name"],
                        "device": row["name"],
                        "minutes": int(silent_for.total_seconds() // 60),
                        "interval": row["interval_s"],
                    },
                    evidence={
                        "device": row["pk"],
                        "last_reading_at": text(row["last_reading_at"]),
                        "interval_s": row["interval_s"],
                        "intervals_allowed": intervals,
                    },
                )
            )
        return result


class StorageSensorMismatch(Rule):
    """A storage sensor's latest weight further from the facility's ledger stock than the park's
    tolerance, relative to the larger of the two (an empty ledger with waste on the scale trips it)."""

    code = "STORAGE_SENSOR_MISMATCH"
    message_zh = "{enterprise} 的 {facility} 传感器称重 {sensor} 吨，台账库存 {ledger} 吨，偏差 {deviation}%。"
    message_en = (
        "{facility} of {enterprise}: the sensor weighs {sensor} t, the ledger holds {ledger} t ({deviation}% apart)."
    )

    def findings(self, ctx):
        since = ctx.now - LOOK_BACK
        readings = _readings_of(since)
        stock = (
            StockBalance.objects.filter(facility=OuterRef("facility_id"))
            .order_by()
            .values("facility")
            .annotate(total=Sum("quantity_t"))
            .values("total")
        )
        rows = (
            Device.objects.filter(kind=DeviceKind.STORAGE_SENSOR, active=True, facility__isnull=False)
            .annotate(
                sensor=_latest(readings, "value"),
                measured_at=_latest(readings, "measured_at"),
                ledger=Coalesce(Subquery(stock), Value(ZERO, output_field=TONNES)),
            )
            .filter(sensor__isnull=False)
        )
        result = []
        for row in rows.values(
            "pk",
            "facility_id",
            "facility__name",
            "enterprise_id",
            "enterprise__name",
            "enterprise__park_id",
            "sensor",
            "ledger",
            "measured_at",
        ):
            tolerance = ctx.thresholds.for_park(row["enterprise__park_id"])[K.SENSOR_STOCK_TOLERANCE]
            sensor, ledger = row["sensor"], row["ledger"]
            base = max(sensor, ledger)
            if abs(sensor - ledger) <= tolerance * base:
                continue
            deviation = rate_pct(sensor - ledger, base).quantize(CENT)
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"]),
                    park_id=row["enterprise__park_id"],
                    enterprise_id=row["enterprise_id"],
                    facility_id=row["facility_id"],
                    params={
                        "enterprise": row["enterprise__name"],
                        "facility": row["facility__name"],
                        "sensor": sensor,
                        "ledger": ledger,
                        "deviation": deviation,
                    },
                    evidence={
                        "device": row["pk"],
                        "sensor_t": text(sensor),
                        "ledger_t": text(ledger),
                        "deviation_pct": text(deviation),
                        "tolerance_pct": text(tolerance * HUNDRED),
                        "measured_at": text(row["measured_at"]),
                    },
                )
            )
        return result


class WeighbridgeMismatch(Rule):
    """The receiver's latest weighbridge ticket for a manifest differs from the declared total (and, once
    recorded, from the received total) by more than the consignor's park's quantity tolerance, the same
    tolerance QUANTITY_DISCREPANCY holds declared and received quantities to."""

    code = "WEIGHBRIDGE_MISMATCH"
    message_zh = (
        "联单 {number}：接受单位地磅称重 {weighed} 吨，申报 {declared} 吨，实收 {received} 吨（容差 {tolerance}%）。"
    )
    message_en = (
        "Manifest {number}: the receiver's weighbridge weighed {weighed} t; declared {declared} t, "
        "received {received} t (tolerance {tolerance}%)."
    )

    def findings(self, ctx):
        tickets = Reading.objects.filter(
            manifest=OuterRef("pk"),
            measured_at__gte=ctx.now - TICKET_LOOK_BACK,
            device__kind=DeviceKind.WEIGHBRIDGE,
            device__enterprise=OuterRef("receiver_id"),
        )
        manifests = (
            Manifest.objects.exclude(status__in=(ManifestStatus.CANCELLED, ManifestStatus.DRAFT))
            .filter(
                pk__in=Reading.objects.filter(
                    manifest__isnull=False,
                    measured_at__gte=ctx.now - TICKET_LOOK_BACK,
                    device__kind=DeviceKind.WEIGHBRIDGE,
                ).values("manifest_id")
            )
            .annotate(weighed=_latest(tickets, "value"), weighed_at=_latest(tickets, "measured_at"))
            .filter(weighed__isnull=False)
        )
        rows = {
            row["pk"]: row
            for row in manifests.values(
                "pk", "number", "consignor_id", "consignor__park_id", "receiver_id", "weighed", "weighed_at"
            )
        }
        totals = (
            ManifestLine.objects.filter(manifest_id__in=rows)
            .values("manifest_id")
            .annotate(
                declared=Sum("declared_quantity_t"),
                received=Sum("received_quantity_t"),
                unreceived=Count("pk", filter=Q(received_quantity_t__isnull=True)),
            )
        )
        result = []
        for total in totals:
            row = rows[total["manifest_id"]]
            tolerance = ctx.thresholds.for_park(row["consignor__park_id"])[K.QUANTITY_TOLERANCE]
            weighed, declared = row["weighed"], total["declared"]
            received = total["received"] if not total["unreceived"] else None
            off = [q for q in (declared, received) if q is not None and abs(weighed - q) > q * tolerance]
            if not off:
                continue
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"]),
                    park_id=row["consignor__park_id"],
                    enterprise_id=row["receiver_id"],
                    manifest_id=row["pk"],
                    params={
                        "number": row["number"],
                        "weighed": weighed,
                        "declared": declared,
                        "received": "—" if received is None else received,
                        "tolerance": tolerance * HUNDRED,
                    },
                    evidence={
                        "weighed_t": text(weighed),
                        "weighed_at": text(row["weighed_at"]),
                        "declared_t": text(declared),
                        "received_t": None if received is None else text(received),
                        "tolerance_pct": text(tolerance * HUNDRED),
                    },
                )
            )
        return result


class VehicleStopped(Rule):
    """A vehicle carrying a manifest in transit whose GPS unit has reported it below the stop speed for
    longer than the park's stop minutes (since its last moving reading, or since its first)."""

    code = "VEHICLE_STOPPED"
    message_zh = "联单 {number} 的运输车辆 {plate} 已停驶 {minutes} 分钟（允许 {limit} 分钟），位置 {lat},{lon}。"
    message_en = (
        "The vehicle {plate} of manifest {number} has stood still for {minutes} minutes (allowed {limit}) "
        "at {lat},{lon}."
    )

    def findings(self, ctx):
        since = ctx.now - LOOK_BACK
        in_transit = Manifest.objects.filter(status=ManifestStatus.IN_TRANSIT)
        park_ids = set(in_transit.values_list("consignor__park_id", flat=True))
        result = []
        for speed, parks in _by_value(ctx, K.VEHICLE_STOP_SPEED_KMH, park_ids).items():
            positions = vehicle_positions(since=since)
            rows = (
                in_transit.filter(consignor__park_id__in=parks)
                .annotate(
                    latest_at=_latest(positions, "measured_at"),
                    lat=_latest(positions, "latitude"),
                    lon=_latest(positions, "longitude"),
                    moving_at=_latest(positions.filter(value__gte=speed), "measured_at"),
                    first_at=Subquery(positions.order_by("measured_at").values("measured_at")[:1]),
                )
                .filter(latest_at__isnull=False)
            )
            for row in rows.values(
                "pk",
                "number",
                "vehicle_plate",
                "carrier_id",
                "consignor__park_id",
                "latest_at",
                "lat",
                "lon",
                "moving_at",
                "first_at",
            ):
                limit = ctx.thresholds.for_park(row["consignor__park_id"])[K.VEHICLE_STOP_MINUTES]
                standing = row["latest_at"] - (row["moving_at"] or row["first_at"])
                if standing <= timedelta(minutes=limit):
                    continue
                minutes = int(standing.total_seconds() // 60)
                result.append(
                    vehicle_finding(
                        self,
                        row,
                        params={"minutes": minutes, "limit": limit},
                        evidence={
                            "standing_minutes": minutes,
                            "limit_minutes": limit,
                            "stop_speed_kmh": text(Decimal(speed)),
                        },
                    )
                )
        return result
