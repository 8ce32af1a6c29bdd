"""Write the device broker's (mosquitto's) configuration: its config file, the password file of every
active device plus the consumer, and a copy of the topic ACLs (deploy/mosquitto/acl). Run again after
registering or revoking devices; with --reload, the running broker re-reads them (SIGHUP).

    manage.py write_broker_config --dir var/mosquitto --port 1883 [--reload]
"""

import getpass
import os
import shutil
import signal
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.devices import write_broker_passwords

ACL_SOURCE = Path(settings.BASE_DIR) / "deploy" / "mosquitto" / "acl"


class Command(BaseCommand):
    help = "Write mosquitto's config, password file (devices + consumer) and ACLs for the device broker."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default="var/mosquitto", help="Where the broker's files go.")
        parser.add_argument("--port", type=int, default=1883)
        parser.add_argument("--bind", default="127.0.0.1")
        parser.add_argument("--reload", action="store_true", help="SIGHUP the broker named by the pid file.")

    def handle(self, *args, dir, port, bind, reload, **options):
        url = urlsplit(settings.MQTT_URL)
        if not url.username or not url.password:
            raise CommandError("MQTT_URL must name the consumer's account: mqtt://user:password@host:port")
        directory = Path(dir).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        passwords, acl, pid_file = directory / "passwd", directory / "acl", directory / "mosquitto.pid"
        count = write_broker_passwords(passwords, consumer_username=url.username, consumer_password=url.password)
        shutil.copyfile(ACL_SOURCE, acl)
        (directory / "mosquitto.conf").write_text(
            "\n".join(
                [
                    "# Written by manage.py write_broker_config; edit deploy/mosquitto/acl, not this file.",
                    # The broker runs as whoever wrote its files (mosquitto would otherwise switch from
                    # root to its own user, which may not write here).
                    f"user {getpass.getuser()}",
                    f"pid_file {pid_file}",
                    "persistence true",
                    f"persistence_location {directory}/",
                    "log_dest stderr",
                    f"listener {port} {bind}",
                    "allow_anonymous false",
                    f"password_file {passwords}",
                    f"acl_file {acl}",
                    # A device's readings wait for the consumer while it restarts (QoS 1, persistent session).
                    "max_queued_messages 100000",
                    "",
                ]
            )
        )
        self.stdout.write(f"{count} device account(s) written to {passwords}")
        if reload:
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGHUP)
            except (OSError, ValueError) as error:
                raise CommandError(f"No broker to reload ({error}).") from None
            self.stdout.write("broker reloaded")
