"""The device cross-checks as warning rules of the existing engine: each is raised when its condition
holds and closes itself when it clears; thresholds come from the park's thresholds, not literals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reporting.models import Warning, WarningThreshold
from reporting.services.telemetry import ingest_readings
from reporting.warnings import RULES_BY_CODE, run_rules
from tests.transfers.factories import generate

from .conftest import reading

pytestmark = pytest.mark.django_db


def scan(code: str, now):
    return run_rules(rules=(RULES_BY_CODE[code],), now=now)


def live(code: str):
    return Warning.objects.filter(rule=code, status__in=("open", "acknowledged"))


def send(device, now, *readings):
    result = ingest_readings(device=device, readings=list(readings), source="http", now=now)
    assert not result.refused, result.refused
    return result


def test_a_silent_device_is_warned_about_and_the_warning_closes_when_it_speaks(sensor_x):
    now = sensor_x.created_at + timedelta(seconds=sensor_x.interval_s * 3 + 60)
    assert scan("DEVICE_SILENT", now).as_dict()["raised"] == 1
    warning = live("DEVICE_SILENT").get()
    assert warning.enterprise_id == sensor_x.enterprise_id and warning.evidence["device"] == sensor_x.pk

    send(sensor_x, now, reading("r1", now, "0"))
    assert scan("DEVICE_SILENT", now + timedelta(seconds=1)).as_dict()["closed"] == 1
    assert not live("DEVICE_SILENT").exists()


def test_a_device_within_its_intervals_is_not_silent(sensor_x):
    assert scan("DEVICE_SILENT", sensor_x.created_at + timedelta(seconds=sensor_x.interval_s * 3 - 1)).raised == []


def test_a_warm_cold_store_is_warned_and_a_long_excursion_is_a_cold_chain_breach(thermometer_r):
    now = timezone.now()
    send(
        thermometer_r,
        now,
        reading("t1", now - timedelta(minutes=60), "3.0"),
        reading("t2", now - timedelta(minutes=40), "7.0"),
        reading("t3", now - timedelta(minutes=20), "8.0"),
        reading("t4", now, "8.5"),
    )
    scan("COLD_STORE_TOO_WARM", now)
    scan("COLD_CHAIN_BREACH", now)
    warm, breach = live("COLD_STORE_TOO_WARM").get(), live("COLD_CHAIN_BREACH").get()
    assert warm.facility_id == thermometer_r.facility_id and warm.evidence["temperature_c"] == "8.5"
    assert breach.severity == "critical" and breach.evidence["minutes_above"] == 40

    later = now + timedelta(minutes=1)
    send(thermometer_r, later, reading("t5", later, "4.2"))
    assert scan("COLD_STORE_TOO_WARM", later).as_dict()["closed"] == 1
    assert scan("COLD_CHAIN_BREACH", later).as_dict()["closed"] == 1


def test_a_short_excursion_warns_without_breaking_the_cold_chain(thermometer_r):
    now = timezone.now()
    send(thermometer_r, now, reading("t1", now - timedelta(minutes=10), "4.0"), reading("t2", now, "6.0"))
    assert scan("COLD_STORE_TOO_WARM", now).as_dict()["raised"] == 1
    assert scan("COLD_CHAIN_BREACH", now).as_dict()["raised"] == 0


def test_the_cold_store_limit_is_the_parks_threshold(thermometer_r, park_a):
    WarningThreshold.objects.create(park=park_a, key="cold_store_max_c", value=Decimal("8"))
    now = timezone.now()
    send(thermometer_r, now, reading("t1", now, "6.0"))
    assert scan("COLD_STORE_TOO_WARM", now).as_dict()["raised"] == 0


def test_a_storage_sensor_disagreeing_with_the_ledger_is_warned_until_they_agree(parties, sensor_x):
    # X's store holds 100 t by the ledger (the `parties` fixture); the sensor weighs 70 t.
    now = timezone.now()
    send(sensor_x, now, reading("w1", now, "70"))
    assert scan("STORAGE_SENSOR_MISMATCH", now).as_dict()["raised"] == 1
    warning = live("STORAGE_SENSOR_MISMATCH").get()
    assert warning.evidence["sensor_t"] == "70" and warning.evidence["ledger_t"] == "100"

    later = now + timedelta(minutes=5)
    send(sensor_x, later, reading("w2", later, "98"))  # within the 10 % default tolerance
    assert scan("STORAGE_SENSOR_MISMATCH", later).as_dict()["closed"] == 1


def test_a_weighbridge_ticket_far_from_the_declared_quantity_is_warned(hazardous_draft, advance, weighbridge_r):
    manifest = advance(hazardous_draft, "in_transit")
    declared = sum(line.declared_quantity_t for line in manifest.lines.all())
    now = timezone.now()
    send(weighbridge_r, now, reading("tk1", now, declared * Decimal("0.8"), manifest=manifest.number))
    assert scan("WEIGHBRIDGE_MISMATCH", now).as_dict()["raised"] == 1
    warning = live("WEIGHBRIDGE_MISMATCH").get()
    assert warning.manifest_id == manifest.pk and warning.enterprise_id == weighbridge_r.enterprise_id

    later = now + timedelta(minutes=3)
    # Weighed again: the first weighing had the trailer half off the bridge.
    send(weighbridge_r, later, reading("tk2", later, declared, manifest=manifest.number))
    assert scan("WEIGHBRIDGE_MISMATCH", later).as_dict()["closed"] == 1


def test_a_weighbridge_ticket_within_tolerance_is_no_warning(hazardous_draft, advance, weighbridge_r):
    manifest = advance(hazardous_draft, "in_transit")
    declared = sum(line.declared_quantity_t for line in manifest.lines.all())
    now = timezone.now()
    send(weighbridge_r, now, reading("tk1", now, declared * Decimal("0.97"), manifest=manifest.number))
    assert scan("WEIGHBRIDGE_MISMATCH", now).raised == []


def test_a_loaded_vehicle_standing_still_too_long_is_warned_until_it_moves(hazardous_draft, advance, gps_c):
    manifest = advance(hazardous_draft, "in_transit")
    now = timezone.now()
    position = {"manifest": manifest.number, "lat": "27.7180", "lon": "109.1890"}
    send(
        gps_c,
        now,
        reading("g1", now - timedelta(minutes=90), "52", **position),
        reading("g2", now - timedelta(minutes=80), "0", **position),
        reading("g3", now, "0", **position),
    )
    assert scan("VEHICLE_STOPPED", now).as_dict()["raised"] == 1
    warning = live("VEHICLE_STOPPED").get()
    assert warning.manifest_id == manifest.pk and warning.evidence["standing_minutes"] == 90

    later = now + timedelta(minutes=1)
    send(gps_c, later, reading("g4", later, "45", **position))
    assert scan("VEHICLE_STOPPED", later).as_dict()["closed"] == 1


def test_a_vehicle_stop_within_the_allowance_is_no_warning(hazardous_draft, advance, gps_c):
    manifest = advance(hazardous_draft, "in_transit")
    now = timezone.now()
    position = {"manifest": manifest.number, "lat": "27.7180", "lon": "109.1890"}
    send(gps_c, now, reading("g1", now - timedelta(minutes=30), "50", **position), reading("g2", now, "0", **position))
    assert scan("VEHICLE_STOPPED", now).raised == []


def test_medical_waste_in_a_cold_store_reading_warm_is_held_to_the_24_hour_limit(
    catalogue, clerk_r, cold_store_r, thermometer_r
):
    generate(actor=clerk_r, facility=cold_store_r, code="841-001-01", quantity="0.8", hours_ago=30)
    now = timezone.now()
    # Cold: within the cold store's 72 hours.
    send(thermometer_r, now, reading("c1", now, "3.0"))
    assert scan("STORAGE_OVER_LIMIT", now).raised == []

    # The thermometer now reads 7 °C: the waste is no longer below 5 °C, and 30 h is beyond 24 h.
    later = now + timedelta(minutes=1)
    send(thermometer_r, later, reading("c2", later, "7.0"))
    scan("STORAGE_OVER_LIMIT", later)
    warning = live("STORAGE_OVER_LIMIT").get()
    assert warning.facility_id == cold_store_r.pk and warning.evidence["limit"] == "24 h"
