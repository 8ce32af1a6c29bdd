"""manage.py simulate_devices: feed the demo park's devices' readings over MQTT and HTTP (reporting/
simulator.py says which devices and which anomalies).

    manage.py simulate_devices [--transport both|http|mqtt] [--base-url http://127.0.0.1:8000]
                               [--anomalies] [--ticks N] [--every SECONDS]

HTTP goes to the running platform (make run); MQTT to MQTT_URL's broker, whose password file must know
the devices (manage.py write_broker_config --reload after the first run registers them).
"""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reporting.simulator import Simulator, ensure_demo_devices


class Command(BaseCommand):
    help = "Simulate the demo park's devices: readings over MQTT and HTTP, optionally with anomalies."

    def add_arguments(self, parser):
        parser.add_argument("--transport", choices=["both", "http", "mqtt"], default="both")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--anomalies", action="store_true")
        parser.add_argument("--ticks", type=int, default=0, help="Stop after this many ticks (0: run until stopped).")
        parser.add_argument("--every", type=float, default=5.0, help="Seconds between ticks.")
        parser.add_argument("--token-file", default=str(Path(settings.BASE_DIR) / "var" / "simulator-tokens.json"))

    def handle(self, *args, transport, base_url, anomalies, ticks, every, token_file, **options):
        if transport != "http" and not settings.MQTT_URL:
            raise CommandError("MQTT needs MQTT_URL (the broker); or use --transport http.")
        try:
            devices = ensure_demo_devices(Path(token_file))
        except LookupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{len(devices)} demo devices; tokens in {token_file}")
        simulator = Simulator(devices, transport=transport, base_url=base_url, anomalies=anomalies)
        done = 0
        try:
            while not ticks or done < ticks:
                sent = simulator.tick()
                done += 1
                self.stdout.write(
                    f"tick {done}: {sent} readings (http {simulator.sent['http']}, mqtt {simulator.sent['mqtt']})"
                )
                if not ticks or done < ticks:
                    time.sleep(every)
        except KeyboardInterrupt:
            pass
        finally:
            simulator.close()
