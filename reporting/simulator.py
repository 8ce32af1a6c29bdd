"""The device simulator (manage.py simulate_devices): the demo park's devices, feeding realistic readings
over MQTT and HTTP, with a few anomalies, so that the embedded default shows live telemetry and the
device warnings (docs/telemetry.md).

Devices of the demo park (registered on first run; their tokens kept in a local 0600 file, since the
platform keeps only hashes):
- the disposal centre's weighbridge, weighing every load that arrives (≈ the declared quantity);
- a weight sensor on the lithium battery recycler's hazardous waste store (≈ the ledger's stock);
- a thermometer in the disposal centre's medical waste cold store (2–4 °C);
- the carrier's vehicle GPS unit, driving each manifest in transit from consignor to receiver;
- a second storage sensor that never reports (a silent device).
Anomalies, with --anomalies: one load weighed 15 % light, the sensor reading a quarter below the ledger,
a cold-store excursion to about 8 °C, the vehicle standing still, and a second vehicle half a degree
(about 55 km) north of its route.
"""

import json
import logging
import math
import random
import stat
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.db.models import Sum
from django.utils import timezone

from registry.demo import demo_enterprises
from registry.devices import register_device, reissue_device_token
from registry.models import Device, DeviceKind, Facility, FacilityKind
from transfers.models import Manifest, ManifestStatus, StockBalance

from .mqtt import connect, readings_topic

logger = logging.getLogger("wasteparks.telemetry")


@dataclass(frozen=True)
class DemoDevice:
    serial: str
    enterprise: str  # the key of registry.demo's enterprise
    kind: str
    name: str
    facility: str | None  # the facility's name at that enterprise
    interval_s: int


DEMO_DEVICES = (
    DemoDevice("SIM-WB-01", "disposer", DeviceKind.WEIGHBRIDGE, "进厂地磅", None, 300),
    DemoDevice("SIM-LS-01", "li_battery", DeviceKind.STORAGE_SENSOR, "危废暂存间称重传感器", "危废暂存间", 60),
    DemoDevice("SIM-TH-01", "disposer", DeviceKind.THERMOMETER, "医疗废物冷库温度计", "医疗废物冷库", 60),
    DemoDevice("SIM-GPS-01", "carrier", DeviceKind.VEHICLE_GPS, "危货运输车 GPS", None, 60),
    DemoDevice("SIM-LS-02", "disposer", DeviceKind.STORAGE_SENSOR, "危废暂存间液位计（离线）", "危废暂存间", 300),
)
SILENT = "SIM-LS-02"
COLD_STORE = "医疗废物冷库"


def ensure_demo_devices(token_file: Path) -> list[tuple[Device, str]]:
    """The demo park's devices with their tokens: registered, or their token reissued when the local
    file does not have it. Needs the demo (manage.py load_demo)."""
    enterprises = demo_enterprises()
    if not enterprises:
        raise LookupError("The demo park is not loaded: run manage.py load_demo first.")
    tokens = json.loads(token_file.read_text()) if token_file.exists() else {}
    result = []
    for spec in DEMO_DEVICES:
        enterprise = enterprises[spec.enterprise]
        facility = None
        if spec.facility == COLD_STORE:
            facility, _ = Facility.objects.get_or_create(
                enterprise=enterprise,
                name=COLD_STORE,
                defaults={"kind": FacilityKind.WAREHOUSE, "capacity_t": Decimal("10"), "cold_store": True},
            )
        elif spec.facility:
            facility = Facility.objects.get(enterprise=enterprise, name=spec.facility)
        device = Device.objects.filter(enterprise=enterprise, serial=spec.serial).select_related("client").first()
        if device is None:
            device, token = register_device(
                enterprise=enterprise,
                kind=spec.kind,
                name=spec.name,
                serial=spec.serial,
                facility=facility,
                interval_s=spec.interval_s,
            )
        elif spec.serial in tokens and device.client.token_prefix in tokens[spec.serial]:
            token = tokens[spec.serial]
        else:
            token = reissue_device_token(device=device)
        tokens[spec.serial] = token
        result.append((device, token))
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(json.dumps(tokens, indent=1))
    token_file.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return result


# How far north of its route the off-route anomaly drives: well beyond the default corridor.
OFF_ROUTE_DEGREES = 0.5


class Simulator:
    """One tick of readings for every device whose interval has come, sent over HTTP or MQTT."""

    def __init__(self, devices, *, transport: str, base_url: str, anomalies: bool, seed: int = 7):
        self.devices = [(device, token) for device, token in devices if device.serial != SILENT]
        self.transport, self.base_url, self.anomalies = transport, base_url.rstrip("/"), anomalies
        self.random = random.Random(seed)
        self.last_sent: dict[int, datetime] = {}
        self.sequence = 0
        self.mqtt_clients: dict[int, object] = {}
        self.sent = {"http": 0, "mqtt": 0}
        self.answers: list[dict] = []

    def tick(self, now: datetime | None = None) -> int:
        now = now or timezone.now()
        count = 0
        for index, (device, token) in enumerate(self.devices):
            last = self.last_sent.get(device.pk)
            if last is not None and (now - last).total_seconds() < device.interval_s:
                continue
            readings = self._readings(device, now)
            if not readings:
                continue
            # Both transports in turn (or the one chosen): the same service takes either.
            transport = self.transport if self.transport != "both" else ("http", "mqtt")[(self.sequence + index) % 2]
            self._send(transport, device, token, readings)
            self.last_sent[device.pk] = now
            count += len(readings)
        self.sequence += 1
        return count

    def _reading(self, device: Device, now: datetime, value, **extra) -> dict:
        return {
            "id": f"{device.serial}-{int(now.timestamp())}-{extra.get('manifest', '')}",
            "at": now.isoformat(),
            "value": str(Decimal(value).quantize(Decimal("0.0001"))),
            **extra,
        }

    def _readings(self, device: Device, now: datetime) -> list[dict]:
        noise = self.random.uniform
        if device.kind == DeviceKind.THERMOMETER:
            # Every 30 minutes a 45-minute excursion when anomalies are on: the door left open, then the
            # compressor failing to catch up.
            minute = (now.minute + now.hour * 60) % 120
            warm = self.anomalies and 30 <= minute < 75
            return [self._reading(device, now, (8 + noise(-0.5, 0.8)) if warm else 3 + noise(-1, 1))]
        if device.kind == DeviceKind.STORAGE_SENSOR:
            stock = StockBalance.objects.filter(facility=device.facility).aggregate(total=Sum("quantity_t"))
            ledger = stock["total"] or Decimal("0")
            factor = Decimal("0.75") if self.anomalies and now.minute % 20 < 10 else Decimal(1 + noise(-0.02, 0.02))
            return [self._reading(device, now, ledger * factor)]
        if device.kind == DeviceKind.WEIGHBRIDGE:
            loads = Manifest.objects.filter(
                receiver_id=device.enterprise_id, status__in=(ManifestStatus.IN_TRANSIT, ManifestStatus.RECEIVED)
            ).annotate(declared=Sum("lines__declared_quantity_t"))[:5]
            result = []
            for position, load in enumerate(loads):
                light = self.anomalies and position == 0
                factor = Decimal("0.85") if light else Decimal(1 + noise(-0.01, 0.01))
                result.append(self._reading(device, now, (load.declared or 0) * factor, manifest=load.number))
            return result
        if device.kind == DeviceKind.VEHICLE_GPS:
            trips = Manifest.objects.filter(
                carrier_id=device.enterprise_id, status=ManifestStatus.IN_TRANSIT
            ).select_related("consignor", "receiver")[:3]
            result = []
            for position, trip in enumerate(trips):
                stopped = self.anomalies and position == 0
                lat, lon = self._route(trip, now)
                if self.anomalies and position == 1:
                    lat += OFF_ROUTE_DEGREES
                speed = 0 if stopped else 40 + noise(0, 20)
                result.append(
                    self._reading(device, now, speed, manifest=trip.number, lat=f"{lat:.6f}", lon=f"{lon:.6f}")
                )
            return result
        return []

    @staticmethod
    def _route(trip: Manifest, now: datetime) -> tuple[float, float]:
        """A point on the straight line from consignor to receiver, moving back and forth over an hour."""
        start = (float(trip.consignor.latitude or 27.72), float(trip.consignor.longitude or 109.19))
        end = (float(trip.receiver.latitude or 27.68), float(trip.receiver.longitude or 109.23))
        share = (1 - math.cos(math.pi * (now.minute / 30))) / 2
        return start[0] + (end[0] - start[0]) * share, start[1] + (end[1] - start[1]) * share

    def _send(self, transport: str, device: Device, token: str, readings: list[dict]) -> None:
        body = json.dumps({"readings": readings}).encode()
        if transport == "mqtt":
            client = self.mqtt_clients.get(device.pk)
            if client is None:
                client = connect(client_id=device.mqtt_username, username=device.mqtt_username, password=token)
                client.loop_start()
                self.mqtt_clients[device.pk] = client
            client.publish(readings_topic(device.mqtt_username), body, qos=1)  # type: ignore[attr-defined]
            self.sent["mqtt"] += len(readings)
            return
        request = urllib.request.Request(  # noqa: S310 (the platform's own URL, from the command line)
            f"{self.base_url}/api/v1/telemetry/readings/",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                self.answers.append(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            logger.warning("device %s: HTTP %s %s", device.serial, error.code, error.read()[:200])
        except OSError as error:
            logger.warning("device %s: platform unreachable (%s)", device.serial, error)
            return
        self.sent["http"] += len(readings)

    def close(self) -> None:
        for client in self.mqtt_clients.values():
            client.loop_stop()  # type: ignore[attr-defined]
            client.disconnect()  # type: ignore[attr-defined]
