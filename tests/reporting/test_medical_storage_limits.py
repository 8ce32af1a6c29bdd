"""Medical waste storage limits by where it lies: 48 h at the producer; at the disposal plant 24 h at
5 °C or above and 72 h in a cold store below 5 °C (STORAGE_OVER_LIMIT, thresholds per park)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reporting.models import Warning, WarningThreshold
from reporting.models.thresholds import ThresholdKey
from reporting.warnings import RULES_BY_CODE, run_rules
from reporting.warnings.base import Context
from tests import factories as f
from tests.transfers.factories import generate

pytestmark = pytest.mark.django_db

INFECTIOUS = "841-001-01"


def scan(hours_later: float = 0):
    return run_rules(rules=(RULES_BY_CODE["STORAGE_OVER_LIMIT"],), now=timezone.now() + timedelta(hours=hours_later))


def live():
    return list(Warning.objects.live().filter(rule="STORAGE_OVER_LIMIT"))


@pytest.fixture
def plant_store(receiver_r):
    """The disposal plant's unloading store, at ambient temperature."""
    return f.FacilityFactory(enterprise=receiver_r, name="R medical waste store", capacity_t=50)


@pytest.fixture
def plant_cold_store(receiver_r):
    return f.FacilityFactory(enterprise=receiver_r, name="R medical cold store", capacity_t=50, cold_store=True)


def test_at_the_disposal_plant_medical_waste_may_wait_24_hours_at_ambient_temperature(catalogue, clerk_r, plant_store):
    generate(actor=clerk_r, facility=plant_store, code=INFECTIOUS, quantity="0.8", hours_ago=23)
    scan()
    assert live() == []

    scan(hours_later=2)
    [warning] = live()
    assert warning.severity == "critical" and warning.facility_id == plant_store.pk
    assert warning.evidence["limit"] == "24 h" and warning.evidence["age_hours"] == 25


def test_in_the_disposal_plants_cold_store_medical_waste_may_wait_72_hours(catalogue, clerk_r, plant_cold_store):
    generate(actor=clerk_r, facility=plant_cold_store, code=INFECTIOUS, quantity="0.8", hours_ago=71)
    scan()
    assert live() == []  # beyond 24 h and 48 h, within the cold store's 72 h

    scan(hours_later=2)
    [warning] = live()
    assert warning.severity == "critical" and warning.evidence["limit"] == "72 h"


def test_at_the_hospital_medical_waste_may_wait_48_hours_even_in_a_cold_store(catalogue, preparer_x, enterprise_x):
    # The producer's two days do not depend on the temperature; only the plant's limits do.
    cold = f.FacilityFactory(enterprise=enterprise_x, name="X medical cold store", cold_store=True)
    generate(actor=preparer_x, facility=cold, code=INFECTIOUS, quantity="0.2", hours_ago=47)
    scan()
    assert live() == []

    scan(hours_later=2)
    [warning] = live()
    assert warning.evidence["limit"] == "48 h"


def test_each_store_is_held_to_its_own_limit_in_one_scan(
    catalogue, clerk_r, preparer_x, x_store, plant_store, plant_cold_store
):
    for actor, facility in ((preparer_x, x_store), (clerk_r, plant_store), (clerk_r, plant_cold_store)):
        generate(actor=actor, facility=facility, code=INFECTIOUS, quantity="0.1", hours_ago=30)
    scan()
    assert [(w.facility_id, w.evidence["limit"]) for w in live()] == [(plant_store.pk, "24 h")]

    scan(hours_later=20)  # 50 h old
    assert {(w.facility_id, w.evidence["limit"]) for w in live()} == {(plant_store.pk, "24 h"), (x_store.pk, "48 h")}


def test_a_parks_own_cold_store_limit_replaces_the_default(catalogue, clerk_r, plant_cold_store, park_a):
    WarningThreshold.objects.create(key=ThresholdKey.MEDICAL_PLANT_COLD_HOURS, value=Decimal("36"), park=park_a)
    generate(actor=clerk_r, facility=plant_cold_store, code=INFECTIOUS, quantity="0.8", hours_ago=35)
    scan()
    assert live() == []

    scan(hours_later=2)
    [warning] = live()
    assert warning.evidence["limit"] == "36 h"


def test_the_scan_reads_every_store_in_a_constant_number_of_queries(
    catalogue, receiver_r, clerk_r, django_assert_max_num_queries
):
    def stale_stores(first, count):
        for index in range(first, first + count):
            store = f.FacilityFactory(enterprise=receiver_r, name=f"R store {index}", cold_store=index % 2 == 0)
            generate(actor=clerk_r, facility=store, code=INFECTIOUS, quantity="0.1", hours_ago=100)

    stale_stores(0, 2)
    rule = RULES_BY_CODE["STORAGE_OVER_LIMIT"]
    with django_assert_max_num_queries(4) as few:
        assert len(rule.findings(Context(now=timezone.now()))) == 2
    stale_stores(2, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(rule.findings(Context(now=timezone.now()))) == 8
