"""The device registry: each device with its own credential of the device scope, placed only at its own
enterprise's facilities; its token reissued or revoked; the broker's password file follows."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from registry.devices import register_device, reissue_device_token, revoke_device, write_broker_passwords
from registry.models import ApiClient, Device, DeviceKind
from tests import factories as f

from .conftest import reading

pytestmark = pytest.mark.django_db
URL = "/api/v1/telemetry/readings/"


def test_a_device_gets_its_own_device_scoped_credential(sensor_x, enterprise_x):
    client = sensor_x.client
    assert client.scope == "device" and client.enterprise_id == enterprise_x.pk
    assert sensor_x.token.startswith(f"wp_{client.token_prefix}_")
    assert sensor_x.mqtt_username == f"device-{client.token_prefix}"
    assert sensor_x.broker_password_hash.startswith("$7$101$")


@pytest.mark.parametrize(
    "case",
    ["another enterprise's facility", "a sensor without a facility", "a GPS unit of a non-carrier", "a taken serial"],
)
def test_a_device_that_does_not_fit_is_refused_and_nothing_written(case, enterprise_x, enterprise_y, x_store, sensor_x):
    before = (Device.objects.count(), ApiClient.objects.count())
    arguments = {"enterprise": enterprise_x, "kind": DeviceKind.STORAGE_SENSOR, "name": "s", "serial": "NEW-1"}
    if case == "another enterprise's facility":
        arguments["facility"] = f.FacilityFactory(enterprise=enterprise_y)
    elif case == "a GPS unit of a non-carrier":
        arguments["kind"] = DeviceKind.VEHICLE_GPS
    elif case == "a taken serial":
        arguments.update(facility=x_store, serial=sensor_x.serial)
    with pytest.raises(ValidationError):
        register_device(**arguments)
    assert (Device.objects.count(), ApiClient.objects.count()) == before


def test_a_reissued_token_replaces_the_old_one(sensor_x):
    old = sensor_x.token
    new = reissue_device_token(device=sensor_x)
    body = {"readings": [reading("r1", timezone.now(), "1")]}
    assert APIClient().post(URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {old}").status_code == 401
    assert APIClient().post(URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {new}").status_code == 200


def test_the_broker_password_file_holds_active_devices_and_the_consumer_only(tmp_path, sensor_x, gps_c):
    revoke_device(device=gps_c)
    path = tmp_path / "passwd"
    assert write_broker_passwords(path, consumer_username="consumer", consumer_password="secret") == 1
    users = [line.split(":", 1)[0] for line in path.read_text().splitlines()]
    assert users == ["consumer", sensor_x.mqtt_username]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
