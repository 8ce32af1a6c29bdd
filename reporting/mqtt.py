"""The device broker (MQTT, mosquitto): topics, connecting, and handling one message.

A device `device-<prefix>` publishes its readings (one reading object, a list, or {"readings": [...]},
the same JSON as over HTTP) to `<root>/device-<prefix>/readings` at QoS 1; the broker's ACL lets it
publish nowhere else (deploy/mosquitto/acl). The consumer (manage.py consume_readings) subscribes to every
device's topic with a persistent session, writes each message through `ingest_readings` (the same service
as HTTP) and answers on `<root>/device-<prefix>/results` with what became of each reading.
"""

import json
import logging
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import close_old_connections

from registry.models import Device
from wasteparks.errors import DomainError

from .models.telemetry import ReadingSource
from .services.telemetry import ingest_readings, refuse_device

logger = logging.getLogger("wasteparks.telemetry")
USERNAME_MARK = "device-"


def readings_topic(username: str) -> str:
    return f"{settings.MQTT_TOPIC_ROOT}/{username}/readings"


def results_topic(username: str) -> str:
    return f"{settings.MQTT_TOPIC_ROOT}/{username}/results"


def connect(*, url: str | None = None, client_id: str = "", clean: bool = True, username=None, password=None):
    """A connected paho client (network loop not started). `url` defaults to MQTT_URL, whose account
    is used unless `username` is given."""
    parts = urlsplit(url or settings.MQTT_URL)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
    user = username or parts.username
    if user:
        client.username_pw_set(user, password if username else parts.password)
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883, keepalive=30)
    return client


def handle_message(topic: str, payload: bytes) -> dict | None:
    """Ingest one message; the answer for the device (None when the topic names no device)."""
    parts = topic.split("/")
    username = parts[-2] if len(parts) >= 2 and parts[-1] == "readings" else ""
    if not username.startswith(USERNAME_MARK):
        logger.warning("MQTT message on %s ignored: not a device's readings topic", topic)
        return None
    device = (
        Device.objects.select_related("client")
        .filter(client__token_prefix=username.removeprefix(USERNAME_MARK))
        .first()
    )
    if device is None:
        # The broker's ACL lets only a known account publish here; a device deleted since is ignored.
        logger.warning("MQTT readings from unknown device %s ignored", username)
        return None
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        refuse_device(device=device, reason="malformed")
        return {"error": {"code": "malformed", "message": "The message is not JSON."}}
    readings = body.get("readings") if isinstance(body, dict) and "readings" in body else body
    if isinstance(readings, dict):
        readings = [readings]
    if not isinstance(readings, list) or not readings or len(readings) > settings.TELEMETRY_BATCH_MAX:
        refuse_device(device=device, reason="malformed")
        return {"error": {"code": "malformed", "message": 'Send a reading, a list of them, or {"readings": [...]}.'}}
    try:
        return ingest_readings(device=device, readings=readings, source=ReadingSource.MQTT).as_dict()
    except DomainError as error:
        return {"error": {"code": error.code, "message": error.message}}


def consume(*, client_id: str = "wasteparks-consumer", on_ready=None) -> None:
    """Run the consumer until interrupted (manage.py consume_readings)."""

    def on_connect(client, _userdata, _flags, reason_code, _properties):
        if reason_code.is_failure:
            logger.error("MQTT connection refused: %s", reason_code)
            return
        client.subscribe(readings_topic("+"), qos=1)

    def on_subscribe(_client, _userdata, _mid, _reason_codes, _properties):
        if on_ready:
            on_ready()

    def on_message(client, _userdata, message):
        close_old_connections()
        try:
            answer = handle_message(message.topic, message.payload)
        except Exception:
            # One bad message must not stop the consumer; it is logged with its traceback.
            logger.exception("MQTT message on %s could not be handled", message.topic)
            return
        if answer is not None:
            client.publish(results_topic(message.topic.split("/")[-2]), json.dumps(answer), qos=1)

    # A persistent session: readings published while the consumer restarts wait in the broker.
    client = connect(client_id=client_id, clean=False)
    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.loop_forever(retry_first_connection=True)
