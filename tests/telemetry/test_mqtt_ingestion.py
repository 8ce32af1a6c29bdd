"""Device readings over MQTT, against a real mosquitto started for the test with the platform's own
configuration (manage.py write_broker_config: per-device passwords, topic ACLs): the consumer writes
through the same service as HTTP, so the same reading sent both ways is stored once; a device may not
publish as another; a broker refuses a wrong password."""

import json
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from reporting.models import DeviceTally, Reading
from reporting.mqtt import consume, readings_topic, results_topic

from .conftest import bearer, reading

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def broker(start_broker, sensor_x, gps_c):
    """Our own mosquitto, configured from the registry once the devices are registered."""
    return start_broker()


@pytest.fixture
def consumer(broker):
    ready = threading.Event()
    thread = threading.Thread(target=consume, kwargs={"client_id": "test-consumer", "on_ready": ready.set}, daemon=True)
    thread.start()
    assert ready.wait(10), "the consumer did not subscribe"
    return thread


def _device_client(broker_url: str, device, *, password: str | None = None):
    port = int(broker_url.rsplit(":", 1)[1])
    answers = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device.mqtt_username)
    client.username_pw_set(device.mqtt_username, password or device.token)
    client.on_message = lambda c, u, message: answers.append(json.loads(message.payload))
    connected = threading.Event()

    def on_connect(client, userdata, flags, code, properties):
        if not code.is_failure:
            connected.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    connected.wait(5)
    client.subscribe(results_topic(device.mqtt_username), qos=1)
    time.sleep(0.2)
    return client, answers, connected.is_set()


def _wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_reading_over_mqtt_and_the_same_over_http_is_stored_once(broker, consumer, sensor_x):
    the_reading = reading("r-42", timezone.now(), "37.5")
    client, answers, _ = _device_client(broker, sensor_x)
    client.publish(readings_topic(sensor_x.mqtt_username), json.dumps({"readings": [the_reading]}), qos=1)
    assert _wait_for(lambda: answers), "no answer from the consumer"
    assert answers[0] == {"accepted": 1, "duplicates": [], "refused": []}

    answer = APIClient().post(
        "/api/v1/telemetry/readings/", {"readings": [the_reading]}, format="json", **bearer(sensor_x)
    )
    assert answer.json() == {"accepted": 0, "duplicates": ["r-42"], "refused": []}
    stored = Reading.objects.get(device=sensor_x)
    assert stored.source == "mqtt" and str(stored.value) == "37.5000"
    client.loop_stop()


def test_a_malformed_message_is_refused_and_counted(broker, consumer, sensor_x):
    client, answers, _ = _device_client(broker, sensor_x)
    client.publish(readings_topic(sensor_x.mqtt_username), b"{not json", qos=1)
    assert _wait_for(lambda: answers)
    assert answers[0]["error"]["code"] == "malformed"
    assert not Reading.objects.exists()
    assert DeviceTally.objects.get(device=sensor_x, outcome="malformed").count == 1
    client.loop_stop()


def test_a_device_cannot_publish_as_another_device(broker, consumer, sensor_x, gps_c):
    client, _answers, _ = _device_client(broker, gps_c)
    # The ACL drops it at the broker: the consumer never sees it.
    client.publish(readings_topic(sensor_x.mqtt_username), json.dumps(reading("fake", timezone.now(), "1")), qos=1)
    time.sleep(1.5)
    assert not Reading.objects.exists()
    client.loop_stop()


def test_the_broker_refuses_a_wrong_password(broker, sensor_x):
    client, _answers, connected = _device_client(broker, sensor_x, password="wp_guess_wrong")
    assert not connected
    client.loop_stop()
