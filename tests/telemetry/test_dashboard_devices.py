"""The park dashboard lists the park's devices with their latest reading and health: live telemetry for
the officers of that park only, in a constant number of queries."""

import pytest
from django.utils import timezone

from registry.devices import register_device
from registry.models import DeviceKind
from reporting.services.telemetry import ingest_readings
from tests import factories as f

from .conftest import reading

pytestmark = pytest.mark.django_db


def test_the_park_officer_sees_each_devices_latest_reading_and_health(client, officer_a, thermometer_r):
    now = timezone.now()
    ingest_readings(device=thermometer_r, readings=[reading("t1", now, "3.5"), "garbage"], source="http", now=now)
    client.force_login(officer_a)
    page = client.get("/reporting/")
    assert page.status_code == 200
    row = page.content.decode().split(f'data-testid="device-{thermometer_r.pk}"')[1].split("</tr>")[0]
    assert "3.50 °C" in row and thermometer_r.name in row
    assert '<td class="text-end">1</td>' in row and "text-danger" in row  # one accepted, one refused
    assert "A reading is a JSON object." in row  # the last refusal's reason, on the refused count


def test_another_parks_officer_does_not_see_them(client, officer_b, thermometer_r):
    client.force_login(officer_b)
    page = client.get("/reporting/")
    assert f'data-testid="device-{thermometer_r.pk}"' not in page.content.decode()


def test_the_device_list_costs_the_same_queries_for_one_device_or_many(
    client, officer_a, receiver_r, thermometer_r, django_assert_max_num_queries
):
    client.force_login(officer_a)
    with django_assert_max_num_queries(200) as one:
        client.get("/reporting/")
    store = f.FacilityFactory(enterprise=receiver_r, name="another store")
    for n in range(8):
        register_device(
            enterprise=receiver_r, kind=DeviceKind.STORAGE_SENSOR, name=f"s{n}", serial=f"S{n}", facility=store
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get("/reporting/")
