"""manage.py register_device --enterprise CODE --kind KIND --serial S --name N [--facility ID] [--interval S]

Registers a device with its own credential and prints its token once (docs/telemetry.md); then run
manage.py write_broker_config --reload so that the broker knows it too.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry.devices import register_device
from registry.models import DeviceKind, Enterprise, Facility


class Command(BaseCommand):
    help = "Register a device (weighbridge, storage sensor, thermometer, vehicle GPS) and print its token."

    def add_arguments(self, parser):
        parser.add_argument("--enterprise", required=True, help="The enterprise's unified social credit code.")
        parser.add_argument("--kind", required=True, choices=DeviceKind.values)
        parser.add_argument("--serial", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--facility", type=int, help="The id of the enterprise's facility it is placed at.")
        parser.add_argument("--interval", type=int, default=300, help="Seconds between its readings.")

    def handle(self, *args, enterprise, kind, serial, name, facility, interval, **options):
        owner = Enterprise.objects.filter(credit_code=enterprise.upper()).first()
        if owner is None:
            raise CommandError(f"No enterprise with credit code {enterprise!r}.")
        place = None
        if facility is not None:
            place = Facility.objects.filter(pk=facility).first()
            if place is None:
                raise CommandError(f"No facility {facility}.")
        try:
            device, token = register_device(
                enterprise=owner, kind=kind, name=name, serial=serial, facility=place, interval_s=interval
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(f"Registered {device} (MQTT user {device.mqtt_username}). Store this token now:")
        self.stdout.write(token)
