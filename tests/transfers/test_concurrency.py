"""Concurrent or repeated signatures yield exactly one transition."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from tests.transfers.factories import draft, generate, stock
from transfers import services
from transfers.models import LedgerEntry, Manifest, ManifestEvent, ManifestStatus
from wasteparks.errors import DomainError


def race(count, work):
    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            barrier.wait(timeout=30)
            work()
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(type(error).__name__)
        except Exception as error:  # noqa: BLE001 - an unexpected error fails the test below
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_submitting_the_same_manifest_make_one_transition_and_one_log_row(
    parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
):
    manifest = draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    outcomes = race(
        20, lambda: services.submit_manifest(manifest=Manifest.objects.get(pk=manifest.pk), actor=preparer_x)
    )
    assert outcomes.count("ok") == 1
    assert outcomes.count("TransitionNotAllowed") == 19
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.SUBMITTED
    assert ManifestEvent.objects.filter(manifest=manifest).count() == 1
    assert manifest.number.endswith("000001")


@pytest.mark.django_db(transaction=True)
def test_twenty_drivers_signing_the_same_pickup_ship_the_load_once(
    parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, driver_c
):
    manifest = draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    services.submit_manifest(manifest=manifest, actor=preparer_x)
    outcomes = race(
        20,
        lambda: services.pickup_manifest(
            manifest=Manifest.objects.get(pk=manifest.pk), actor=driver_c, vehicle_plate="贵D1"
        ),
    )
    assert outcomes.count("ok") == 1 and outcomes.count("TransitionNotAllowed") == 19
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.IN_TRANSIT
    assert ManifestEvent.objects.filter(manifest=manifest, action="pickup").count() == 1
    assert LedgerEntry.objects.filter(stage="shipped").count() == 1
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")


@pytest.mark.django_db(transaction=True)
def test_two_pickups_racing_for_the_same_stock_never_make_it_negative(
    parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, driver_c
):
    manifests = [
        draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            quantity="60",
        )
        for _ in range(2)
    ]
    # Signing checks the stock (120 t then); 20 t disposed of in house since leaves 100 t for two 60 t pickups.
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="20")
    for manifest in manifests:
        services.submit_manifest(manifest=manifest, actor=preparer_x)
    generate(
        actor=preparer_x, facility=x_store, code="900-249-08", quantity="20", stage="disposed_in_house", method="D10"
    )
    queue = list(manifests)
    lock = threading.Lock()

    def pickup():
        with lock:
            manifest = queue.pop()
        services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D1")

    outcomes = race(2, pickup)
    assert sorted(outcomes) == ["RuleViolation", "ok"]
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("40")
    assert sorted(Manifest.objects.values_list("status", flat=True)) == ["in_transit", "submitted"]
