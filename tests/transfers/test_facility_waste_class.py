"""Waste enters only a facility made for its class: a general-waste yard refuses hazardous and medical
waste, a cold store takes medical waste only. Refused on the entry form, the API, a move between stores
and a receipt, with nothing written."""

from decimal import Decimal

import pytest
from django.urls import reverse

from registry.clients import create_api_client
from registry.models import ApiScope, Facility, FacilityKind, WasteClass
from tests import factories as f
from tests.api.conftest import bearer, error_of
from tests.transfers.factories import generate, receipt, stock
from transfers import services
from transfers.models import LedgerEntry, ManifestLine, ManifestStatus, StockBalance
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db

HW = "900-249-08"
SLAG = "SW01"
INFECTIOUS = "841-001-01"
LEDGER = "/api/v1/ledger-entries/"


@pytest.fixture
def general_yard(enterprise_x):
    return f.FacilityFactory(enterprise=enterprise_x, name="X slag yard", kind=FacilityKind.YARD, capacity_t=900)


@pytest.fixture
def erp_x(enterprise_x):
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    return bearer(token)


def nothing_written_to(facility: Facility) -> bool:
    return not LedgerEntry.objects.filter(facility=facility).exists() and not (
        StockBalance.objects.filter(facility=facility).exclude(quantity_t=0).exists()
    )


@pytest.mark.parametrize(
    ("kind", "cold_store", "holds"),
    [
        (FacilityKind.YARD, False, {"general"}),
        (FacilityKind.WAREHOUSE, False, {"general", "hazardous", "medical"}),
        (FacilityKind.STORAGE_POINT, False, {"general", "hazardous", "medical"}),
        (FacilityKind.TANK_FARM, False, {"general", "hazardous"}),
        (FacilityKind.POOL, False, {"general", "hazardous"}),
        (FacilityKind.WAREHOUSE, True, {"medical"}),
        (FacilityKind.DISPOSAL, False, {"general", "hazardous", "medical"}),
    ],
)
def test_each_kind_of_facility_declares_the_waste_classes_it_may_hold(kind, cold_store, holds):
    facility = Facility(kind=kind, cold_store=cold_store)
    assert {waste_class for waste_class in WasteClass.values if facility.may_hold(waste_class)} == holds


def test_the_preparer_records_slag_into_the_general_yard(catalogue, preparer_x, enterprise_x, general_yard):
    generate(actor=preparer_x, facility=general_yard, code=SLAG, quantity="40")
    assert stock(enterprise_x, general_yard, SLAG) == Decimal("40")


def test_hazardous_waste_recorded_into_a_general_yard_is_refused_naming_the_kind_and_class(preparer_x, general_yard):
    with pytest.raises(RuleViolation) as refused:
        generate(actor=preparer_x, facility=general_yard, code=HW, quantity="2")
    assert refused.value.code == "facility_not_for_waste_class"
    assert "X slag yard" in refused.value.message
    assert "Yard" in refused.value.message and "Hazardous waste" in refused.value.message
    assert set(refused.value.fields) == {"facility"}
    assert nothing_written_to(general_yard)


def test_a_cold_store_refuses_hazardous_waste_and_takes_medical_waste(catalogue, preparer_x, enterprise_x):
    cold = f.FacilityFactory(enterprise=enterprise_x, name="X cold store", cold_store=True)
    with pytest.raises(RuleViolation) as refused:
        generate(actor=preparer_x, facility=cold, code=HW, quantity="1")
    assert "medical waste cold store" in refused.value.message
    assert nothing_written_to(cold)
    generate(actor=preparer_x, facility=cold, code=INFECTIOUS, quantity="0.3")
    assert stock(enterprise_x, cold, INFECTIOUS) == Decimal("0.3")


def test_hazardous_waste_already_in_a_yard_can_still_be_taken_out(preparer_x, enterprise_x, general_yard):
    # Emptying a store the waste should never have entered is what the enterprise must do: not refused.
    StockBalance.objects.create(
        enterprise=enterprise_x, facility=general_yard, waste_code=f.waste_code(HW), quantity_t=5, total_in_t=5
    )
    generate(actor=preparer_x, facility=general_yard, code=HW, quantity="5", stage="disposed_in_house", method="D10")
    assert stock(enterprise_x, general_yard, HW) == Decimal("0")


def test_the_entry_form_refuses_hazardous_waste_into_the_yard_next_to_the_facility(
    client, preparer_x, enterprise_x, general_yard
):
    client.force_login(preparer_x)
    data = {
        "enterprise": enterprise_x.pk,
        "facility": general_yard.pk,
        "stage": "generated",
        "waste_code": HW,
        "quantity_t": "3",
        "occurred_at": "",
        "method": "",
        "batch_code": "",
        "note": "",
    }
    response = client.post(reverse("transfers:ledger_new"), data)
    assert response.status_code == 400
    assert "facility" in response.context["form"].errors
    assert nothing_written_to(general_yard)


def test_the_api_refuses_hazardous_waste_into_the_yard_with_the_common_error(erp_x, enterprise_x, general_yard):
    body = {
        "enterprise": enterprise_x.pk,
        "facility": general_yard.pk,
        "waste_code": HW,
        "stage": "generated",
        "quantity_t": "3",
    }
    response = erp_x.post(LEDGER, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "facility_not_for_waste_class" and "facility" in error["fields"]
    assert nothing_written_to(general_yard)
    # The same yard takes general waste from the same client.
    assert erp_x.post(LEDGER, {**body, "waste_code": SLAG}).status_code == 201


def test_moving_hazardous_waste_into_the_yard_is_refused_and_leaves_the_source_untouched(
    preparer_x, enterprise_x, x_store, general_yard, erp_x
):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    with pytest.raises(RuleViolation) as refused:
        services.move_stock(
            actor=preparer_x,
            enterprise=enterprise_x,
            from_facility=x_store,
            to_facility=general_yard,
            waste_code=f.waste_code(HW),
            quantity_t=Decimal("4"),
        )
    assert set(refused.value.fields) == {"to_facility"}
    response = erp_x.post(
        f"{LEDGER}move/",
        {
            "enterprise": enterprise_x.pk,
            "from_facility": x_store.pk,
            "to_facility": general_yard.pk,
            "waste_code": HW,
            "quantity_t": "4",
        },
    )
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "facility_not_for_waste_class"
    assert stock(enterprise_x, x_store, HW) == Decimal("10")
    assert nothing_written_to(general_yard)
    assert LedgerEntry.objects.filter(move__isnull=False).count() == 0


@pytest.fixture
def r_yard(receiver_r):
    return f.FacilityFactory(enterprise=receiver_r, name="R slag yard", kind=FacilityKind.YARD, capacity_t=900)


def test_a_receipt_of_hazardous_waste_into_the_receivers_yard_is_refused_and_the_load_stays_in_transit(
    hazardous_draft, advance, clerk_r, receiver_r, r_yard
):
    manifest = advance(hazardous_draft, "in_transit")
    with pytest.raises(RuleViolation) as refused:
        services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_yard))
    assert refused.value.code == "facility_not_for_waste_class"
    assert set(refused.value.fields) == {"lines[1].receiving_facility"}
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.IN_TRANSIT and manifest.received_at is None
    assert ManifestLine.objects.filter(manifest=manifest, receiving_facility__isnull=False).count() == 0
    assert not LedgerEntry.objects.filter(enterprise=receiver_r).exists()
    assert nothing_written_to(r_yard)


def test_the_receivers_software_gets_the_same_refusal_and_can_receive_into_its_store(
    hazardous_draft, advance, receiver_r, r_yard, r_store
):
    manifest = advance(hazardous_draft, "in_transit")
    _, token = create_api_client(name="R ERP", scope=ApiScope.ENTERPRISE, enterprise=receiver_r)
    erp_r = bearer(token)
    line = {"line_no": 1, "received_quantity_t": "10", "acceptance": "accepted", "receiving_facility": r_yard.pk}
    response = erp_r.post(f"/api/v1/manifests/{manifest.pk}/receive/", {"lines": [line]})
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "facility_not_for_waste_class"
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.IN_TRANSIT
    assert nothing_written_to(r_yard)

    response = erp_r.post(
        f"/api/v1/manifests/{manifest.pk}/receive/", {"lines": [{**line, "receiving_facility": r_store.pk}]}
    )
    assert response.status_code == 200, response.content
    assert stock(receiver_r, r_store, HW) == Decimal("10")


def test_an_enterprise_registers_its_cold_store_through_the_api_and_not_anothers(erp_x, enterprise_x, enterprise_y):
    body = {
        "enterprise": enterprise_x.pk,
        "name": "医废冷库",
        "kind": "warehouse",
        "capacity_t": "2",
        "cold_store": True,
    }
    response = erp_x.post("/api/v1/facilities/", body)
    assert response.status_code == 201, response.content
    assert response.json()["cold_store"] is True
    assert Facility.objects.get(pk=response.json()["id"]).cold_store

    response = erp_x.post("/api/v1/facilities/", {**body, "enterprise": enterprise_y.pk, "name": "Y cold"})
    assert response.status_code == 400 and "enterprise" in error_of(response)["fields"]
    other = f.FacilityFactory(enterprise=enterprise_y, name="Y store")
    assert erp_x.patch(f"/api/v1/facilities/{other.pk}/", {"cold_store": True}).status_code == 404
    other.refresh_from_db()
    assert not other.cold_store


def test_a_cold_store_flag_that_is_not_a_boolean_is_refused_and_nothing_is_written(erp_x, enterprise_x):
    body = {"enterprise": enterprise_x.pk, "name": "冷库", "kind": "warehouse", "capacity_t": "2", "cold_store": "cold"}
    response = erp_x.post("/api/v1/facilities/", body)
    assert response.status_code == 400
    assert "cold_store" in error_of(response)["fields"]
    assert not Facility.objects.filter(name="冷库").exists()
