"""Naming a manifest's carrier, receiver, transfer approval or driver through the API: the choices are
the web form's, and every other id gets one answer per field, the same whether it does not exist, is
another tenant's, has the wrong role or is not verified and active. Nothing is written."""

import pytest

from registry.models import Division, EnterpriseRole, EnterpriseStatus
from tests import factories as f
from tests.api.conftest import error_of
from tests.transfers.test_api import client_for, manifest_body
from transfers import services
from transfers.models import LedgerEntry, Manifest, ManifestEvent, ManifestLine, ManifestStatus
from wasteparks.models import AuditLink, OutboxMessage

pytestmark = pytest.mark.django_db

MANIFESTS = "/api/v1/manifests/"
UNKNOWN_ID = 987654
SECRET = "Hidden"


def full_width(pk: int) -> str:
    """The id written in full-width digits: int() would read it as the same number."""
    return "".join(chr(ord(digit) + 0xFEE0) for digit in str(pk))


def row_counts() -> dict[str, int]:
    models = (Manifest, ManifestLine, ManifestEvent, LedgerEntry, AuditLink, OutboxMessage)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def chongqing(catalogue):
    division, _ = Division.objects.get_or_create(
        code="5001", defaults={"name_zh": "重庆市", "name_en": "Chongqing", "province_code": "50"}
    )
    return f.ParkFactory(name="重庆园区", division=division)


@pytest.fixture
def erp_x(enterprise_x):
    return client_for(enterprise_x, "X ERP")


def assert_one_answer(responses: dict, field: str, message: str) -> None:
    """Every response is the same 400, naming only the field, and nothing leaks of what was sent."""
    bodies = {case: response.json() for case, response in responses.items()}
    for case, response in responses.items():
        assert response.status_code == 400, (case, bodies[case])
        assert error_of(response)["fields"] == {field: [message]}, (case, bodies[case])
        assert SECRET not in response.content.decode(), case
    first = next(iter(bodies.values()))
    assert all(body == first for body in bodies.values()), bodies


def test_a_carrier_that_does_not_exist_is_not_yours_to_name_has_another_role_or_is_pending_gets_one_answer(
    parties, enterprise_x, enterprise_y, carrier_c, receiver_r, x_store, park_a, chongqing, erp_x
):
    elsewhere = f.EnterpriseFactory(name=f"{SECRET} carrier", park=chongqing, is_generator=False, is_carrier=True)
    pending = f.EnterpriseFactory(
        name=f"{SECRET} pending carrier",
        park=park_a,
        is_generator=False,
        is_carrier=True,
        status=EnterpriseStatus.PENDING,
    )
    before = row_counts()
    cases = {
        "does not exist": UNKNOWN_ID,
        "another park's enterprise": enterprise_y.pk,
        "another province's carrier": elsewhere.pk,
        "a receiver, not a carrier": receiver_r.pk,
        "a pending carrier": pending.pk,
        "full-width digits": full_width(carrier_c.pk),
    }
    responses = {
        case: erp_x.post(
            MANIFESTS, manifest_body(enterprise_x, carrier_c, receiver_r, x_store, carrier=value), format="json"
        )
        for case, value in cases.items()
    }
    assert_one_answer(responses, "carrier", "Choose a valid carrier.")
    assert row_counts() == before

    offered = erp_x.post(MANIFESTS, manifest_body(enterprise_x, carrier_c, receiver_r, x_store), format="json")
    assert offered.status_code == 201, offered.json()


def test_a_receiver_that_does_not_exist_is_not_yours_to_name_has_another_role_or_is_pending_gets_one_answer(
    parties, enterprise_x, enterprise_y, carrier_c, receiver_r, x_store, park_a, chongqing, erp_x
):
    elsewhere = f.EnterpriseFactory(name=f"{SECRET} receiver", park=chongqing, is_generator=False, is_receiver=True)
    pending = f.EnterpriseFactory(
        name=f"{SECRET} pending receiver",
        park=park_a,
        is_generator=False,
        is_receiver=True,
        status=EnterpriseStatus.PENDING,
    )
    before = row_counts()
    cases = {
        "does not exist": UNKNOWN_ID,
        "another park's enterprise": enterprise_y.pk,
        "another province's receiver without an approval": elsewhere.pk,
        "a carrier, not a receiver": carrier_c.pk,
        "a pending receiver": pending.pk,
    }
    responses = {
        case: erp_x.post(
            MANIFESTS, manifest_body(enterprise_x, carrier_c, receiver_r, x_store, receiver=value), format="json"
        )
        for case, value in cases.items()
    }
    assert_one_answer(responses, "receiver", "Choose a valid receiver.")
    assert row_counts() == before


def test_a_transfer_approval_that_does_not_exist_or_is_another_tenants_gets_one_answer(
    parties, enterprise_x, enterprise_y, carrier_c, receiver_r, x_store, chongqing, erp_x
):
    theirs = f.TransferApprovalFactory(
        consignor=enterprise_y,
        receiver=f.EnterpriseFactory(name=f"{SECRET} disposer", park=chongqing, is_generator=False, is_receiver=True),
    )
    before = row_counts()
    responses = {
        case: erp_x.post(
            MANIFESTS, manifest_body(enterprise_x, carrier_c, receiver_r, x_store, approval=value), format="json"
        )
        for case, value in {"does not exist": UNKNOWN_ID, "another tenant's": theirs.pk, "not an id": "KSZY"}.items()
    }
    assert_one_answer(responses, "approval", "Choose a valid transfer approval.")
    assert row_counts() == before


def test_editing_a_draft_refuses_a_carrier_not_offered_the_same_way(
    parties, hazardous_draft, enterprise_y, receiver_r, erp_x
):
    before = row_counts()
    responses = {
        case: erp_x.patch(f"{MANIFESTS}{hazardous_draft.pk}/", {"carrier": value}, format="json")
        for case, value in {
            "does not exist": UNKNOWN_ID,
            "another park's": enterprise_y.pk,
            "a receiver": receiver_r.pk,
        }.items()
    }
    assert_one_answer(responses, "carrier", "Choose a valid carrier.")
    assert row_counts() == before


def test_a_driver_who_does_not_exist_drives_for_another_carrier_has_another_role_or_is_inactive_gets_one_answer(
    parties, hazardous_draft, preparer_x, carrier_c, driver_c, enterprise_x, park_b
):
    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    other_carrier = f.EnterpriseFactory(name=f"{SECRET} carrier B", park=park_b, is_generator=False, is_carrier=True)
    stranger = f.member(
        f.UserFactory(username="stranger_driver", last_name=SECRET), other_carrier, EnterpriseRole.DRIVER
    )
    viewer = f.member(f.UserFactory(username="viewer_c"), carrier_c, EnterpriseRole.VIEWER)
    retired = f.member(f.UserFactory(username="retired_driver", is_active=False), carrier_c, EnterpriseRole.DRIVER)
    erp_c = client_for(carrier_c, "C ERP")
    before = row_counts()
    cases = {
        "does not exist": UNKNOWN_ID,
        "drives for another carrier": stranger.pk,
        "a viewer of the carrier": viewer.pk,
        "the consignor's preparer": preparer_x.pk,
        "an inactive driver": retired.pk,
    }
    url = f"{MANIFESTS}{hazardous_draft.pk}/pickup/"
    responses = {
        case: erp_c.post(url, {"vehicle_plate": "贵D12345", "driver": value}, format="json")
        for case, value in cases.items()
    }
    assert_one_answer(responses, "driver", "Choose a valid driver.")
    assert row_counts() == before
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.SUBMITTED

    picked = erp_c.post(url, {"vehicle_plate": "贵D12345", "driver": driver_c.pk}, format="json")
    assert picked.status_code == 200, picked.json()
    hazardous_draft.refresh_from_db()
    assert (hazardous_draft.status, hazardous_draft.driver_id) == (ManifestStatus.IN_TRANSIT, driver_c.pk)


def test_another_tenant_cannot_reach_the_pickup_to_ask_about_drivers(
    parties, hazardous_draft, preparer_x, enterprise_y
):
    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    response = client_for(enterprise_y, "Y ERP").post(
        f"{MANIFESTS}{hazardous_draft.pk}/pickup/", {"vehicle_plate": "贵D1", "driver": UNKNOWN_ID}, format="json"
    )
    assert response.status_code == 404
