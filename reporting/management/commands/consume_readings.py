"""manage.py consume_readings: write the devices' MQTT readings through the ingestion service, until
stopped (docs/telemetry.md). The broker and the consumer's account come from MQTT_URL."""

import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reporting.mqtt import consume


class Command(BaseCommand):
    help = "Consume device readings from the MQTT broker (MQTT_URL) and store them."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", default="wasteparks-consumer")

    def handle(self, *args, client_id: str, **options):
        if not settings.MQTT_URL:
            raise CommandError("Set MQTT_URL (mqtt://user:password@host:port) to consume readings.")
        self.stdout.write(f"consuming device readings from {settings.MQTT_URL.rsplit('@', 1)[-1]}")
        with contextlib.suppress(KeyboardInterrupt):
            consume(client_id=client_id, on_ready=self._ready)

    def _ready(self) -> None:
        # Flushed: a supervisor (or a benchmark) reading a pipe waits for this line before sending.
        self.stdout.write("subscribed")
        self.stdout.flush()
