"""Devices: registering one (its own API client of the device scope), and the broker's accounts.

A device authenticates with its token: over HTTP as `Authorization: Bearer <token>`, over MQTT as user
`device-<prefix>` with the token as password. Only hashes of the token are kept: SHA-256 for the API
(registry/clients.py) and, for mosquitto, the PBKDF2-SHA512 hash its password file holds ("$7$" format),
computed once when the token is issued. `write_broker_passwords()` writes that file for every active
device plus the consumer's account; mosquitto re-reads it on SIGHUP (docs/telemetry.md).
"""

import base64
import hashlib
import logging
import os
import secrets
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .clients import _new_token as new_token
from .clients import create_api_client, hash_token, revoke_api_client
from .models import ApiClient, ApiScope, Device, Enterprise, Facility, User

logger = logging.getLogger("wasteparks.api")

# mosquitto_passwd's own defaults for the "$7$" (PBKDF2-SHA512) hashes.
BROKER_HASH_ITERATIONS = 101
BROKER_SALT_BYTES = 12


def broker_password_hash(password: str, *, salt: bytes | None = None) -> str:
    """The line mosquitto's password file holds for `password` (after "user:")."""
    salt = salt or os.urandom(BROKER_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, BROKER_HASH_ITERATIONS)
    return f"$7${BROKER_HASH_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@transaction.atomic
def register_device(
    *,
    enterprise: Enterprise,
    kind: str,
    name: str,
    serial: str,
    facility: Facility | None = None,
    interval_s: int = 300,
    registered_by: User | None = None,
) -> tuple[Device, str]:
    """Register a device with its own credential; return it with its token (shown only now).

    Raises ValidationError (nothing written) when the facility is another enterprise's, a sensor names
    no facility, a vehicle unit belongs to an enterprise that is no carrier, or the serial is taken.
    """
    if facility is not None and facility.enterprise_id != enterprise.pk:
        raise ValidationError({"facility": _("The facility is not this enterprise's.")})
    if kind == "vehicle_gps" and not enterprise.is_carrier:
        raise ValidationError({"kind": _("Only a carrier's vehicles carry GPS units on the platform.")})
    client, token = create_api_client(
        name=f"{enterprise.credit_code} device {serial}"[:100],
        scope=ApiScope.DEVICE,
        enterprise=enterprise,
        created_by=registered_by,
    )
    device = Device(
        enterprise=enterprise,
        facility=facility,
        kind=kind,
        name=name,
        serial=serial,
        interval_s=interval_s,
        client=client,
        broker_password_hash=broker_password_hash(token),
    )
    device.full_clean()
    device.save()
    return device, token


@transaction.atomic
def reissue_device_token(*, device: Device, issued_by: User | None = None) -> str:
    """A new token for a device whose token was lost: the old one stops working at once (over HTTP now,
    over MQTT from the broker's next password file). Returns the new token, shown only now."""
    client = ApiClient.objects.select_for_update().get(pk=device.client_id)
    prefix, token = new_token()
    while ApiClient.objects.filter(token_prefix=prefix).exists():
        prefix, token = new_token()
    client.token_prefix, client.token_hash = prefix, hash_token(token)
    client.save(update_fields=["token_prefix", "token_hash"])
    Device.objects.filter(pk=device.pk).update(broker_password_hash=broker_password_hash(token))
    device.refresh_from_db()
    logger.info("device %s: token reissued by %s", device.pk, issued_by.username if issued_by else "system")
    return token


@transaction.atomic
def revoke_device(*, device: Device, revoked_by: User | None = None) -> Device:
    """Revoke the device's credential and deactivate it; the broker refuses it from the next file write."""
    revoke_api_client(client=device.client, revoked_by=revoked_by)
    Device.objects.filter(pk=device.pk).update(active=False)
    device.refresh_from_db()
    return device


def write_broker_passwords(path: Path, *, consumer_username: str, consumer_password: str) -> int:
    """Write mosquitto's password file: the consumer and every active, unrevoked device. Returns the
    number of devices. Written beside and renamed over, so the broker never reads half a file."""
    devices = Device.objects.filter(active=True, client__revoked_at__isnull=True).select_related("client")
    lines = [f"{consumer_username}:{broker_password_hash(consumer_password)}"]
    lines += [f"{device.mqtt_username}:{device.broker_password_hash}" for device in devices.order_by("pk")]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    partial.write_text("\n".join(lines) + "\n")
    partial.chmod(0o600)
    partial.replace(path)
    return len(lines) - 1
