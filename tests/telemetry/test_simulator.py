"""manage.py simulate_devices: the demo park's devices feed readings over HTTP (to a live server) and
MQTT (through a real mosquitto and the consumer), and its anomalies raise the device warnings."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from registry.demo import load_demo
from reporting.models import Reading
from reporting.mqtt import consume
from reporting.simulator import SILENT, Simulator, ensure_demo_devices
from reporting.warnings import RULES_BY_CODE, run_rules

pytestmark = pytest.mark.django_db(transaction=True)


def _in_excursion(now):
    """A moment in the last two hours inside the simulator's cold-store excursion (minutes 30-75 of 120)."""
    minute = (now.hour * 60 + now.minute) % 120
    return now - timedelta(minutes=(minute - 50) % 120)


def test_the_simulator_feeds_the_demo_devices_over_http_and_mqtt_with_anomalies(
    catalogue, live_server, start_broker, tmp_path
):
    load_demo()
    tokens = tmp_path / "tokens.json"
    devices = ensure_demo_devices(tokens)
    assert ensure_demo_devices(tokens) == devices  # a second run keeps the devices and their tokens
    start_broker()
    ready = threading.Event()
    threading.Thread(target=consume, kwargs={"client_id": "sim-consumer", "on_ready": ready.set}, daemon=True).start()
    assert ready.wait(10)

    simulator = Simulator(devices, transport="both", base_url=live_server.url, anomalies=True)
    at = _in_excursion(timezone.now())
    sent = simulator.tick(at)
    simulator.close()
    assert sent >= 2
    for _ in range(100):
        if Reading.objects.count() >= sent:
            break
        time.sleep(0.1)
    assert set(Reading.objects.values_list("source", flat=True)) == {"http", "mqtt"}
    thermometer = Reading.objects.get(device__serial="SIM-TH-01")
    assert thermometer.value > 5

    assert run_rules(rules=(RULES_BY_CODE["COLD_STORE_TOO_WARM"],), now=timezone.now()).raised
    later = timezone.now() + timedelta(minutes=16)
    run_rules(rules=(RULES_BY_CODE["DEVICE_SILENT"],), now=later)
    from reporting.models import Warning

    silent = Warning.objects.filter(rule="DEVICE_SILENT").values_list("evidence__device", flat=True)
    assert [d.pk for d, _t in devices if d.serial == SILENT][0] in list(silent)
