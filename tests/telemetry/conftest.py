"""Devices of the personas: receiver R's weighbridge and, at X's store, a weight sensor; a cold store of
R with its thermometer; carrier C's vehicle GPS unit. Each comes with its token (`device.token`)."""

import io
import shutil
import socket
import subprocess
import time
from datetime import datetime

import pytest
from django.core.management import call_command

from registry.devices import register_device
from registry.models import Device, DeviceKind
from tests import factories as f


def _device(enterprise, kind, serial, facility=None, interval_s=300) -> Device:
    device, token = register_device(
        enterprise=enterprise,
        kind=kind,
        name=f"{kind} {serial}",
        serial=serial,
        facility=facility,
        interval_s=interval_s,
    )
    device.token = token  # type: ignore[attr-defined]
    return device


@pytest.fixture
def weighbridge_r(receiver_r):
    return _device(receiver_r, DeviceKind.WEIGHBRIDGE, "WB-R-1")


@pytest.fixture
def sensor_x(enterprise_x, x_store):
    return _device(enterprise_x, DeviceKind.STORAGE_SENSOR, "LS-X-1", facility=x_store)


@pytest.fixture
def cold_store_r(receiver_r):
    return f.FacilityFactory(enterprise=receiver_r, name="R medical cold store", capacity_t=20, cold_store=True)


@pytest.fixture
def thermometer_r(receiver_r, cold_store_r):
    return _device(receiver_r, DeviceKind.THERMOMETER, "TH-R-1", facility=cold_store_r, interval_s=60)


@pytest.fixture
def gps_c(carrier_c):
    return _device(carrier_c, DeviceKind.VEHICLE_GPS, "GPS-C-1", interval_s=60)


def reading(reading_id: str, at: datetime, value, **extra) -> dict:
    return {"id": reading_id, "at": at.isoformat(), "value": str(value), **extra}


def bearer(device) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {device.token}"}


CONSUMER = ("wasteparks-consumer", "consumer-test-secret")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def start_broker(tmp_path, settings):
    """start_broker(): a mosquitto of the test's own, configured by manage.py write_broker_config from the
    devices registered so far (passwords, ACLs); MQTT_URL points at it. Stopped after the test."""
    if not shutil.which("mosquitto"):
        pytest.skip("needs Debian's mosquitto")
    processes = []

    def start() -> str:
        port = _free_port()
        settings.MQTT_URL = f"mqtt://{CONSUMER[0]}:{CONSUMER[1]}@127.0.0.1:{port}"
        call_command("write_broker_config", dir=str(tmp_path / "broker"), port=port, stdout=io.StringIO())
        config = str(tmp_path / "broker" / "mosquitto.conf")
        processes.append(subprocess.Popen(["mosquitto", "-c", config], stderr=subprocess.DEVNULL))
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        return settings.MQTT_URL

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
