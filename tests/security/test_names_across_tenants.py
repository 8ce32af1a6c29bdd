"""Refusals never name what the caller may not see: an account or an enterprise chosen by id is refused
without its name, and one that does not exist is refused the same way (walking ids lists nothing)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import Division, EnterpriseRole
from reporting.models import Warning
from tests import factories as f
from tests.api.conftest import error_of, session_of
from tests.reporting.test_utilization_api import _raise
from tests.transfers.test_api import client_for, manifest_body
from tests.transfers.test_views_portal import manifest_data
from transfers import services
from transfers.models import Manifest, ManifestStatus
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db

SECRET_OFFICER = "Qiu Mingzhu"
SECRET_ENTERPRISE = "Hidden Smelter Q (Chongqing)"


@pytest.fixture
def named_officer_b(officer_b):
    officer_b.first_name, officer_b.last_name = "Mingzhu", "Qiu"
    officer_b.save(update_fields=["first_name", "last_name"])
    return officer_b


@pytest.fixture
def other_province_generator(catalogue):
    """A generator in Chongqing: neither a carrier nor anything preparers in Guizhou may see."""
    division, _ = Division.objects.get_or_create(
        code="5001", defaults={"name_zh": "重庆市", "name_en": "Chongqing", "province_code": "50"}
    )
    return f.EnterpriseFactory(name=SECRET_ENTERPRISE, park=f.ParkFactory(name="重庆园区", division=division))


def _texts(response) -> str:
    return response.content.decode()


# --- Assigning a warning --------------------------------------------------------------------------


def _assign(caller, warning, assignee_id):
    return caller.post(reverse("api:warning-assign", args=[warning.pk]), {"assignee": assignee_id})


def test_assigning_another_parks_officer_is_refused_without_their_name(preparer_x, x_store, officer_a, named_officer_b):
    warning = _raise(preparer_x, x_store)
    events = warning.events.count()
    response = _assign(session_of(officer_a, csrf=False), warning, named_officer_b.pk)
    assert response.status_code == 400
    error = error_of(response)
    assert error["fields"] == {"assignee": ["Choose an officer of this warning's park."]}
    for secret in (SECRET_OFFICER, "Qiu", "Mingzhu", "officer_b", "贵阳"):
        assert secret not in _texts(response), secret
    warning.refresh_from_db()
    assert warning.assignee is None and warning.events.count() == events


def test_an_unknown_account_and_another_parks_officer_get_the_same_answer(
    preparer_x, x_store, officer_a, named_officer_b
):
    warning = _raise(preparer_x, x_store)
    officer = session_of(officer_a, csrf=False)
    other = _assign(officer, warning, named_officer_b.pk)
    unknown = _assign(officer, warning, 987654)
    garbled = _assign(officer, warning, "officer_b")
    assert other.status_code == unknown.status_code == garbled.status_code == 400
    assert other.json() == unknown.json() == garbled.json()
    warning.refresh_from_db()
    assert warning.assignee is None


def test_an_officer_of_the_park_is_assigned_through_the_api(preparer_x, x_store, officer_a, park_a):
    colleague = f.park_officer(f.UserFactory(username="colleague"), park_a)
    warning = _raise(preparer_x, x_store)
    response = _assign(session_of(officer_a, csrf=False), warning, colleague.pk)
    assert response.status_code == 200 and response.json()["assignee"] == colleague.pk
    warning.refresh_from_db()
    assert warning.assignee == colleague


def test_the_page_offers_only_the_parks_officers_and_refuses_others_without_a_name(
    client, preparer_x, x_store, officer_a, named_officer_b
):
    warning = _raise(preparer_x, x_store)
    client.force_login(officer_a)
    page = client.get(reverse("reporting:warning_detail", args=[warning.pk]))
    assert page.status_code == 200 and "officer_b" not in _texts(page) and "Qiu" not in _texts(page)
    url = reverse("reporting:warning_action", args=[warning.pk, "assign"])
    refused = client.post(url, {"assign-assignee": named_officer_b.pk})
    unknown = client.post(url, {"assign-assignee": 987654})
    assert refused.status_code == unknown.status_code == 400
    for response in (refused, unknown):
        assert "Choose an officer of this warning&#x27;s park." in _texts(response)
        assert "Qiu" not in _texts(response) and "officer_b" not in _texts(response)
    assert Warning.objects.get().assignee is None


def test_officers_of_another_park_still_cannot_see_the_warning(preparer_x, x_store, officer_a, officer_b):
    warning = _raise(preparer_x, x_store)
    assert _assign(session_of(officer_b, csrf=False), warning, officer_a.pk).status_code == 404
    warning.refresh_from_db()
    assert warning.assignee is None


# --- Naming a manifest's parties ------------------------------------------------------------------


def test_a_preparer_naming_another_provinces_non_carrier_is_refused_without_its_name(
    parties, enterprise_x, receiver_r, x_store, preparer_x, other_province_generator
):
    with pytest.raises(RuleViolation) as refused:
        services.create_manifest(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=other_province_generator,
            receiver=receiver_r,
            waste_class="hazardous",
            purpose="utilization",
            planned_date=timezone.localdate(),
            lines=[
                services.LineInput(
                    waste_code=f.waste_code("900-249-08"), source_facility=x_store, declared_quantity_t=1
                )
            ],
        )
    assert refused.value.code == "not_a_carrier"
    assert SECRET_ENTERPRISE not in refused.value.message
    assert "Hidden" not in str(refused.value.fields)
    assert not Manifest.objects.exists()


def test_the_api_refuses_a_non_carrier_the_same_way_without_its_name(
    parties, enterprise_x, carrier_c, receiver_r, x_store, other_province_generator
):
    erp_x = client_for(enterprise_x, "X ERP")
    body = manifest_body(enterprise_x, carrier_c, receiver_r, x_store)
    body["carrier"] = other_province_generator.pk
    as_carrier = erp_x.post("/api/v1/manifests/", body, format="json")
    body["carrier"], body["receiver"] = carrier_c.pk, other_province_generator.pk
    as_receiver = erp_x.post("/api/v1/manifests/", body, format="json")
    assert (as_carrier.status_code, error_of(as_carrier)["fields"]) == (400, {"carrier": ["Choose a valid carrier."]})
    assert (as_receiver.status_code, error_of(as_receiver)["fields"]) == (
        400,
        {"receiver": ["Choose a valid receiver."]},
    )
    for response in (as_carrier, as_receiver):
        assert "Hidden" not in _texts(response) and "Chongqing" not in _texts(response)
    assert not Manifest.objects.exists()


def test_an_inactive_carrier_is_refused_like_a_non_carrier(parties, enterprise_x, carrier_c, receiver_r, x_store):
    carrier_c.status = "suspended"
    carrier_c.save(update_fields=["status"])
    response = client_for(enterprise_x, "X ERP").post(
        "/api/v1/manifests/", manifest_body(enterprise_x, carrier_c, receiver_r, x_store), format="json"
    )
    error = error_of(response)
    assert (response.status_code, error["fields"]) == (400, {"carrier": ["Choose a valid carrier."]})
    assert "Carrier C" not in response.content.decode()


def test_the_form_offers_only_the_active_carriers_and_receivers_of_the_province(
    client, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, other_province_generator
):
    other_province_generator.is_carrier = other_province_generator.is_receiver = True
    other_province_generator.save(update_fields=["is_carrier", "is_receiver"])
    client.force_login(preparer_x)
    page = client.get(reverse("transfers:manifest_new"))
    assert page.status_code == 200
    html = _texts(page)
    assert "Carrier C" in html and "Receiver R" in html
    assert "Hidden" not in html
    data = manifest_data(
        consignor=enterprise_x, carrier=other_province_generator, receiver=receiver_r, facility=x_store
    )
    refused = client.post(reverse("transfers:manifest_new"), data)
    assert refused.status_code == 400 and "Hidden" not in _texts(refused)
    assert not Manifest.objects.exists()


def test_a_cross_province_receiver_with_an_approval_is_offered(
    client, parties, enterprise_x, preparer_x, other_province_generator
):
    other_province_generator.is_receiver = True
    other_province_generator.save(update_fields=["is_receiver"])
    f.TransferApprovalFactory(consignor=enterprise_x, receiver=other_province_generator)
    client.force_login(preparer_x)
    assert SECRET_ENTERPRISE in _texts(client.get(reverse("transfers:manifest_new")))


def test_a_driver_of_another_carrier_is_refused_without_a_name(
    parties, hazardous_draft, preparer_x, carrier_c, catalogue
):
    admin_c = f.member(f.UserFactory(username="admin_c"), carrier_c, EnterpriseRole.ADMIN)
    elsewhere = f.EnterpriseFactory(name="Carrier Elsewhere", is_generator=False, is_carrier=True)
    stranger = f.member(
        f.UserFactory(username="stranger_driver", first_name="Lan", last_name="Zhou"), elsewhere, EnterpriseRole.DRIVER
    )
    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    with pytest.raises(RuleViolation) as refused:
        services.pickup_manifest(manifest=hazardous_draft, actor=admin_c, vehicle_plate="贵D12345", driver=stranger)
    assert refused.value.code == "driver_not_of_carrier"
    for secret in ("Zhou", "Lan", "stranger_driver", "Carrier Elsewhere"):
        assert secret not in refused.value.message, secret
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.SUBMITTED
