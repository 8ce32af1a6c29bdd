"""Device telemetry: the readings devices post, and each device's health tallies.

Readings are the platform's endless table: every device posts every few minutes, for years. On
PostgreSQL the table is partitioned by month of `measured_at` (declarative partitioning; created in
reporting/migrations/0009_device_rules.py, partitions made ahead by reporting.telemetry), so that the
warning scans and "latest reading of this device" touch one or two small partitions and whole months
are detached or dropped without a DELETE. docs/telemetry.md and bench/RESULTS.md give the reasons and the
figures. On SQLite it is a plain table.

The primary key (device, measured_at, reading_id) carries the partition key, as PostgreSQL requires of
a unique key on a partitioned table; the service makes (device, reading_id) unique within the window a
reading is accepted in (reporting/services/telemetry.py).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Device, Facility
from transfers.models import Manifest

__all__ = ["DeviceTally", "Reading", "ReadingOutcome", "ReadingSource"]


class ReadingSource(models.TextChoices):
    HTTP = "http", _("HTTP")
    MQTT = "mqtt", _("MQTT")


class Reading(models.Model):
    """One measurement: the value's unit follows the device's kind (registry.models.devices.VALUE_UNITS)."""

    pk = models.CompositePrimaryKey("device_id", "measured_at", "reading_id")
    # No index of their own on the foreign keys: the primary key leads with the device, the manifest has
    # its partial index, and facility lookups go through the device.
    device = models.ForeignKey(Device, models.PROTECT, related_name="+", db_index=False, verbose_name=_("device"))
    measured_at = models.DateTimeField(_("measured at"))
    # The device's own id for the reading: a retry of the same reading carries the same id.
    reading_id = models.CharField(_("reading id"), max_length=64)
    received_at = models.DateTimeField(_("received at"))
    source = models.CharField(_("received over"), max_length=4, choices=ReadingSource.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    facility = models.ForeignKey(
        Facility, models.PROTECT, null=True, blank=True, related_name="+", db_index=False, verbose_name=_("facility")
    )
    # The trip a weighbridge ticket or a vehicle position belongs to.
    manifest = models.ForeignKey(
        Manifest, models.PROTECT, null=True, blank=True, related_name="+", db_index=False, verbose_name=_("manifest")
    )

    class Meta:
        verbose_name = _("device reading")
        verbose_name_plural = _("device readings")
        indexes = [
            models.Index(
                fields=["manifest", "measured_at"], name="reading_by_manifest", condition=Q(manifest__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.measured_at:%Y-%m-%d %H:%M:%S} {self.value}"


class ReadingOutcome(models.TextChoices):
    """What became of a reading a device sent: the device's health counts each."""

    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Duplicate (ignored)")
    MALFORMED = "malformed", _("Malformed")
    IN_FUTURE = "in_future", _("Timestamp too far in the future")
    TOO_OLD = "too_old", _("Timestamp too far in the past")
    FOREIGN_FACILITY = "foreign_facility", _("Another enterprise's facility")
    UNKNOWN_MANIFEST = "unknown_manifest", _("Manifest unknown to this device's enterprise")
    THROTTLED = "throttled", _("Too many readings (throttled)")
    REVOKED = "revoked", _("Device revoked or inactive")


class DeviceTally(models.Model):
    """How many readings of one device ended one way, and the last time and reason: its health."""

    device = models.ForeignKey(Device, models.CASCADE, related_name="tallies", verbose_name=_("device"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=ReadingOutcome.choices)
    count = models.BigIntegerField(_("readings"), default=0)
    last_at = models.DateTimeField(_("last at"))
    last_detail = models.CharField(_("last detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("device health tally")
        verbose_name_plural = _("device health tallies")
        constraints = [
            models.UniqueConstraint(fields=["device", "outcome"], name="one_tally_per_device_and_outcome"),
            models.CheckConstraint(condition=Q(count__gte=0), name="tally_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.outcome}: {self.count}"
