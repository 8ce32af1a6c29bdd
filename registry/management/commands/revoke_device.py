"""manage.py revoke_device --enterprise CODE --serial S

Revokes a device's credential and deactivates it: its readings are refused over HTTP at once, and over
MQTT once manage.py write_broker_config --reload has rewritten the broker's password file.
"""

from django.core.management.base import BaseCommand, CommandError

from registry.devices import revoke_device
from registry.models import Device


class Command(BaseCommand):
    help = "Revoke a device's credential and deactivate the device."

    def add_arguments(self, parser):
        parser.add_argument("--enterprise", required=True, help="The enterprise's unified social credit code.")
        parser.add_argument("--serial", required=True)

    def handle(self, *args, enterprise, serial, **options):
        device = Device.objects.filter(enterprise__credit_code=enterprise.upper(), serial=serial).first()
        if device is None:
            raise CommandError(f"No device {serial!r} of enterprise {enterprise!r}.")
        revoke_device(device=device)
        self.stdout.write(f"Revoked {device}; run write_broker_config --reload for the broker.")
