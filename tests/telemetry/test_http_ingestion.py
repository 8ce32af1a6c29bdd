"""Device readings over HTTP: batched, idempotent per device and reading id, out-of-order tolerant,
clock-skew checked, throttled per device; bad input refused with a reason, nothing written, counted in
the device's health."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from registry.clients import create_api_client
from registry.devices import revoke_device
from reporting.models import DeviceTally, Reading
from tests import factories as f

from .conftest import bearer, reading

URL = "/api/v1/telemetry/readings/"
pytestmark = pytest.mark.django_db


def tallies(device) -> dict:
    return dict(DeviceTally.objects.filter(device=device).values_list("outcome", "count"))


def post(device, readings, **headers):
    return APIClient().post(URL, {"readings": readings}, format="json", **bearer(device), **headers)


def test_a_weight_sensor_posts_a_batch_and_every_reading_is_stored(sensor_x):
    now = timezone.now()
    answer = post(sensor_x, [reading("r1", now - timedelta(minutes=10), "40.5"), reading("r2", now, "41")])
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"accepted": 2, "duplicates": [], "refused": []}
    stored = Reading.objects.filter(device=sensor_x).order_by("measured_at")
    assert [r.value for r in stored] == [Decimal("40.5"), Decimal("41")]
    assert stored[0].facility_id == sensor_x.facility_id and stored[0].source == "http"
    assert tallies(sensor_x) == {"accepted": 2}


def test_a_retried_batch_is_stored_once_even_out_of_order(sensor_x):
    now = timezone.now()
    first = [reading("r1", now - timedelta(minutes=5), "40"), reading("r2", now, "41")]
    post(sensor_x, first)
    # The retry comes back reversed, with an older reading the device had buffered.
    answer = post(sensor_x, [first[1], reading("r0", now - timedelta(hours=2), "39"), first[0]])
    assert answer.json() == {"accepted": 1, "duplicates": ["r2", "r1"], "refused": []}
    assert Reading.objects.filter(device=sensor_x).count() == 3
    assert tallies(sensor_x) == {"accepted": 3, "duplicate": 2}


def test_readings_from_the_far_future_or_past_are_refused_and_counted(sensor_x):
    now = timezone.now()
    answer = post(
        sensor_x,
        [reading("late", now - timedelta(days=30), "40"), reading("ahead", now + timedelta(hours=1), "40")],
    )
    assert answer.status_code == 200
    assert [(r["id"], r["reason"]) for r in answer.json()["refused"]] == [("late", "too_old"), ("ahead", "in_future")]
    assert not Reading.objects.exists()
    assert tallies(sensor_x) == {"too_old": 1, "in_future": 1}


@pytest.mark.parametrize(
    "bad",
    [
        "not an object",
        {"at": "2026-01-01T00:00:00+08:00", "value": 1},
        {"id": "x", "at": "yesterday", "value": 1},
        {"id": "x", "at": "2026-01-01T00:00:00", "value": 1},
        {"id": "x", "at": "2026-01-01T00:00:00+08:00", "value": "NaN"},
        {"id": "x", "at": "2026-01-01T00:00:00+08:00", "value": True},
        {"id": "x", "at": "2026-01-01T00:00:00+08:00", "value": 1, "manifest": "12"},
    ],
)
def test_a_malformed_reading_is_refused_and_the_rest_stored(sensor_x, bad):
    good = reading("good", timezone.now(), "40")
    answer = post(sensor_x, [bad, good])
    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] == 1 and [r["reason"] for r in body["refused"]] == ["malformed"]
    assert list(Reading.objects.values_list("reading_id", flat=True)) == ["good"]
    assert tallies(sensor_x) == {"accepted": 1, "malformed": 1}


@pytest.mark.parametrize("body", [{}, {"readings": []}, {"readings": "x"}, [1, 2]])
def test_a_body_that_is_not_a_batch_is_a_400_and_nothing_is_written(sensor_x, body):
    answer = APIClient().post(URL, body, format="json", **bearer(sensor_x))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"]
    assert not Reading.objects.exists()


def test_a_reading_for_another_enterprises_facility_is_refused(sensor_x, enterprise_y):
    foreign = f.FacilityFactory(enterprise=enterprise_y)
    answer = post(sensor_x, [reading("r1", timezone.now(), "3", facility=foreign.pk)])
    assert [r["reason"] for r in answer.json()["refused"]] == ["foreign_facility"]
    assert not Reading.objects.exists()
    assert tallies(sensor_x) == {"foreign_facility": 1}


def test_a_weighbridge_cannot_name_a_manifest_its_enterprise_is_no_party_to(weighbridge_r):
    answer = post(weighbridge_r, [reading("t1", timezone.now(), "10", manifest="20265206000001")])
    assert [r["reason"] for r in answer.json()["refused"]] == ["unknown_manifest"]
    assert not Reading.objects.exists()


def test_a_revoked_device_is_refused_and_its_attempt_counted(sensor_x):
    revoke_device(device=sensor_x)
    answer = post(sensor_x, [reading("r1", timezone.now(), "40")])
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_revoked"
    assert not Reading.objects.exists()
    assert tallies(sensor_x) == {"revoked": 1}


def test_an_unknown_token_is_a_401(db):
    answer = APIClient().post(URL, {"readings": []}, format="json", HTTP_AUTHORIZATION="Bearer wp_00000000_nope")
    assert answer.status_code == 401


def test_an_enterprise_client_is_not_a_device(enterprise_x):
    _client, token = create_api_client(name="ERP of X", scope="enterprise", enterprise=enterprise_x)
    answer = APIClient().post(
        URL, {"readings": [reading("r1", timezone.now(), "1")]}, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code == 403
    assert not Reading.objects.exists()


def test_a_device_credential_sees_nothing_of_the_platform(sensor_x):
    answer = APIClient().get("/api/v1/enterprises/", **bearer(sensor_x))
    assert answer.status_code in (200, 403)
    if answer.status_code == 200:
        assert answer.json()["results"] == []


def test_a_flooding_device_is_throttled_with_retry_after(sensor_x, settings):
    settings.TELEMETRY_READINGS_PER_MINUTE = 3
    now = timezone.now()
    assert post(sensor_x, [reading(f"r{i}", now, "40") for i in range(3)]).status_code == 200
    answer = post(sensor_x, [reading("r9", now, "40")])
    assert answer.status_code == 429
    assert 1 <= int(answer["Retry-After"]) <= 60
    assert Reading.objects.count() == 3
    assert tallies(sensor_x) == {"accepted": 3, "throttled": 1}
