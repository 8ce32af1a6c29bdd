"""Registry models: the devices an enterprise connects (weighbridges, storage sensors, cold-store
thermometers, vehicle GPS units), each posting its readings with its own API client of the device scope.
The readings themselves, and each device's health tallies, are in reporting/models/telemetry.py."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wasteparks.models import Timestamped

from .organisations import Enterprise, Facility
from .people import ApiClient


class DeviceKind(models.TextChoices):
    """What a device measures; the unit of its readings' `value` follows from it."""

    WEIGHBRIDGE = "weighbridge", _("Weighbridge")
    STORAGE_SENSOR = "storage_sensor", _("Storage level or weight sensor")
    THERMOMETER = "thermometer", _("Cold-store thermometer")
    VEHICLE_GPS = "vehicle_gps", _("Vehicle GPS unit")


# The unit of a reading's value by device kind (net weight, weight on hand, temperature, speed).
VALUE_UNITS: dict[str, str] = {
    DeviceKind.WEIGHBRIDGE: "t",
    DeviceKind.STORAGE_SENSOR: "t",
    DeviceKind.THERMOMETER: "°C",
    DeviceKind.VEHICLE_GPS: "km/h",
}
# Kinds that measure one storage place and so must name it.
FACILITY_KINDS = (DeviceKind.STORAGE_SENSOR, DeviceKind.THERMOMETER)


class Device(Timestamped):
    """One connected device of an enterprise, optionally placed at one of its facilities."""

    sync_parents = ("enterprise",)

    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="devices", verbose_name=_("enterprise"))
    facility = models.ForeignKey(
        Facility, models.PROTECT, null=True, blank=True, related_name="devices", verbose_name=_("facility")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    serial = models.CharField(_("serial number"), max_length=64)
    # A reading is expected at least this often; the DEVICE_SILENT rule counts in these intervals.
    interval_s = models.PositiveIntegerField(
        _("reporting interval (s)"), default=300, validators=[MinValueValidator(1), MaxValueValidator(86400)]
    )
    active = models.BooleanField(_("active"), default=True)
    client = models.OneToOneField(
        ApiClient, models.PROTECT, related_name="device", verbose_name=_("credential (API client)")
    )
    # The broker's (mosquitto's) PBKDF2 hash of the device's token, computed when the token is issued (it
    # is never stored): the broker's password file is written from these (registry/devices.py).
    broker_password_hash = models.CharField(_("broker password hash"), max_length=200, editable=False)

    class Meta(Timestamped.Meta):
        ordering = ["enterprise_id", "name"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "serial"], name="device_serial_unique_per_enterprise"),
            models.CheckConstraint(
                condition=~Q(kind__in=FACILITY_KINDS) | Q(facility__isnull=False),
                name="device_sensor_names_its_facility",
                violation_error_message=_("A storage sensor or a thermometer is placed at a facility."),
            ),
            models.CheckConstraint(condition=Q(interval_s__gte=1), name="device_interval_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.name}"

    @property
    def unit(self) -> str:
        return VALUE_UNITS[self.kind]

    @property
    def mqtt_username(self) -> str:
        """The broker account of this device: its client's token prefix (docs/telemetry.md)."""
        return f"device-{self.client.token_prefix}"
