"""Revisions through the API: a party proposes a correction of a signed manifest (the receiver its
received and treated figures too), the other parties approve or refuse it, with the same rules as the
manifest page; other tenants are told nothing exists, and a second decision is a 409."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from registry.clients import create_api_client
from tests.api.conftest import error_of
from transfers.models import ManifestEvent, RevisionRequest, RevisionStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/revision-requests/"


def session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def completed(hazardous_draft, advance):
    """10 t of 900-249-08 from X, received in full by R and utilized (R9)."""
    return advance(hazardous_draft, "completed")


def test_the_receiver_corrects_its_received_figure_and_the_consignor_approves_it(completed, clerk_r, preparer_x):
    response = session(clerk_r).post(
        URL,
        {"manifest": completed.pk, "changes": {"lines": {"1": {"received_quantity_t": "9"}}}, "reason": "地磅校准"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["proposing_party"] == "receiver" and body["status"] == "pending"
    assert set(body["changes"]["lines"]["1"]) == {"received_quantity_t", "accepted_quantity_t", "treated_quantity_t"}

    approved = session(preparer_x).post(f"{URL}{body['id']}/approve/", {"comment": "同意"}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert [d["party"] for d in approved.json()["decisions"]] == ["consignor"]
    line = completed.lines.get()
    assert (line.received_quantity_t, line.accepted_quantity_t, line.treated_quantity_t) == (Decimal(9),) * 3
    assert ManifestEvent.objects.filter(manifest=completed, action="revision_approved", source="api").exists()

    again = session(preparer_x).post(f"{URL}{body['id']}/refuse/", {"comment": "late"}, format="json")
    assert again.status_code == 409


def test_a_refusal_through_the_api_changes_nothing(hazardous_draft, advance, preparer_x, driver_c):
    in_transit = advance(hazardous_draft, "in_transit")
    proposed = session(driver_c).post(
        URL, {"manifest": in_transit.pk, "changes": {"manifest": {"vehicle_plate": "贵D99999"}}, "reason": "换车"},
        format="json",
    )  # fmt: skip
    assert proposed.status_code == 201
    refused = session(preparer_x).post(f"{URL}{proposed.json()['id']}/refuse/", {"comment": "车牌无误"}, format="json")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    in_transit.refresh_from_db()
    assert in_transit.vehicle_plate == "贵D12345"


def test_the_consignors_own_software_proposes_and_only_the_receiver_proposes_its_figures(completed, enterprise_x):
    _, token = create_api_client(name="X ERP", scope="enterprise", enterprise=enterprise_x)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post(
        URL, {"manifest": completed.pk, "changes": {"lines": {"1": {"received_quantity_t": "9"}}}, "reason": "x"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 403
    assert error_of(response)["code"] == "receiver_figures_only"
    response = client.post(
        URL, {"manifest": completed.pk, "changes": {"lines": {"1": {"batch_code": "B-2"}}}, "reason": "批次号错"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201 and response.json()["proposing_party"] == "consignor"


def test_other_tenants_and_bad_input_are_refused_and_nothing_is_written(completed, clerk_r, preparer_y):
    # Another park's preparer: the manifest does not exist for it.
    response = session(preparer_y).post(
        URL,
        {"manifest": completed.pk, "changes": {"manifest": {"vehicle_plate": "贵D1"}}, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400 and "manifest" in error_of(response)["fields"]
    for changes in ({"lines": {"1": {"colour": "red"}}}, {"lines": {"9": {"batch_code": "B"}}}, {"other": {}}, {}):
        response = session(clerk_r).post(
            URL, {"manifest": completed.pk, "changes": changes, "reason": "x"}, format="json"
        )
        assert response.status_code == 400, changes
    response = session(clerk_r).post(
        URL, {"manifest": completed.pk, "changes": {"lines": {"1": {"received_quantity_t": "9"}}}, "reason": " "},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert not RevisionRequest.objects.exists()

    revision = session(clerk_r).post(
        URL, {"manifest": completed.pk, "changes": {"lines": {"1": {"received_quantity_t": "9"}}}, "reason": "地磅"},
        format="json",
    ).json()  # fmt: skip
    assert session(preparer_y).post(f"{URL}{revision['id']}/approve/", {}, format="json").status_code == 404
    # The proposer does not decide its own revision.
    assert session(clerk_r).post(f"{URL}{revision['id']}/approve/", {}, format="json").status_code == 403
    assert RevisionRequest.objects.get().status == RevisionStatus.PENDING
