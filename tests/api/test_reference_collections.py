"""The collections a mirror resolves ids through: transfer approvals, inspections, revision requests,
people and divisions. Who sees what (another tenant's row is a 404), bad input refused with nothing
written, and a constant number of queries per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.models import Division, EnterpriseRole, TransferApproval
from reporting.models import Inspection, Warning
from reporting.services.inspections import mark_inspection_rectified, record_inspection
from tests import factories as f
from transfers import services as transfer_services
from transfers.models import RevisionRequest

from .conftest import error_of, session_of

APPROVALS = "/api/v1/transfer-approvals/"
INSPECTIONS = "/api/v1/inspections/"
REVISIONS = "/api/v1/revision-requests/"
PEOPLE = "/api/v1/people/"
DIVISIONS = "/api/v1/divisions/"


def _rows(caller, url, **params) -> list[dict]:
    response = caller.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _ids(caller, url, **params) -> set[int]:
    return {row["id"] for row in _rows(caller, url, **params)}


def _queries(caller, url) -> tuple[int, int]:
    caller.get(url)  # the first call of a client also records its last use
    with CaptureQueriesContext(connection) as captured:
        response = caller.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), len(response.json()["results"])


def _a_warning(park, enterprise=None, key="w") -> Warning:
    return Warning.objects.create(
        rule="MANIFEST_OVERDUE", severity="warning", park=park, enterprise=enterprise, message_zh="联单超时",
        message_en="Overdue", dedup_key=key, raised_at=timezone.now(),
    )  # fmt: skip


# --- transfer approvals ---------------------------------------------------------------------------


@pytest.fixture
def approvals(enterprise_x, enterprise_y, receiver_r, park_b):
    receiver_s = f.EnterpriseFactory(name="Receiver S", park=park_b, is_generator=False, is_receiver=True)
    return {
        "x": f.TransferApprovalFactory(consignor=enterprise_x, receiver=receiver_r, number="KSZY-X"),
        "y": f.TransferApprovalFactory(consignor=enterprise_y, receiver=receiver_s, number="KSZY-Y"),
    }


def test_the_provincial_platform_reads_every_transfer_approval(provincial_platform, approvals):
    rows = {row["number"]: row for row in _rows(provincial_platform, APPROVALS)}
    assert set(rows) == {"KSZY-X", "KSZY-Y"}
    approval = approvals["x"]
    assert rows["KSZY-X"]["consignor"] == approval.consignor_id
    assert rows["KSZY-X"]["waste_code"] == "900-249-08"
    assert (rows["KSZY-X"]["approved_quantity_t"], rows["KSZY-X"]["remaining_t"]) == ("100.0000", "100.0000")


def test_an_enterprise_client_sees_only_the_approvals_naming_its_enterprise(erp_x, approvals):
    assert _ids(erp_x, APPROVALS) == {approvals["x"].pk}
    response = erp_x.get(f"{APPROVALS}{approvals['y'].pk}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_receivers_officer_sees_the_approvals_it_receives_under(officer_a, approvals):
    assert _ids(session_of(officer_a), APPROVALS) == {approvals["x"].pk}


def test_approvals_filter_by_party_code_and_validity(provincial_platform, approvals, enterprise_x):
    assert _ids(provincial_platform, APPROVALS, enterprise=enterprise_x.pk) == {approvals["x"].pk}
    assert _ids(provincial_platform, APPROVALS, waste_code="900-249-08") == {approvals["x"].pk, approvals["y"].pk}
    assert _ids(provincial_platform, APPROVALS, valid_on="2000-01-01") == set()


@pytest.mark.parametrize(
    "params", [{"enterprise": "x"}, {"valid_on": "someday"}, {"updated_after": "2025-03-01"}, {"enterprise": ""}]
)
def test_a_bad_approval_filter_is_400(provincial_platform, approvals, params):
    response = provincial_platform.get(APPROVALS, params)
    assert response.status_code == 400
    assert set(params) <= set(error_of(response)["fields"])


def test_an_enterprise_client_can_neither_forge_an_approval_nor_edit_one(erp_x, approvals, enterprise_x, receiver_r):
    # An enterprise applies (tests/registry/test_transfer_approvals.py); this body is no application.
    body = {"number": "FORGED", "consignor": enterprise_x.pk, "receiver": receiver_r.pk}
    assert erp_x.post(APPROVALS, body).status_code == 400
    assert erp_x.patch(f"{APPROVALS}{approvals['x'].pk}/", {"number": "FORGED"}).status_code == 405
    assert not TransferApproval.objects.filter(number="FORGED").exists()


def test_the_approval_list_runs_a_constant_number_of_queries(provincial_platform, approvals, enterprise_x):
    few, count = _queries(provincial_platform, APPROVALS)
    assert count == 2
    for n in range(5):
        f.TransferApprovalFactory(consignor=enterprise_x, number=f"KSZY-{n}")
    assert _queries(provincial_platform, APPROVALS) == (few, 7)


# --- inspections ----------------------------------------------------------------------------------


@pytest.fixture
def inspections(officer_a, officer_b, enterprise_x, enterprise_y, park_a):
    of_x = _a_warning(park_a, enterprise_x, "x-overdue")
    park_wide = _a_warning(park_a, None, "park-rate")
    today = timezone.localdate()
    x = record_inspection(
        actor=officer_a, enterprise=enterprise_x, date=today, kind="site_visit", findings="Drums unlabelled",
        required_rectification="Label every drum", rectification_deadline=today, warnings=[of_x, park_wide],
    )  # fmt: skip
    y = record_inspection(actor=officer_b, enterprise=enterprise_y, date=today, kind="desk_check", findings="OK")
    return {"x": x, "y": y, "of_x": of_x, "park_wide": park_wide}


def test_an_enterprise_client_reads_its_own_inspections_only(erp_x, inspections, officer_a):
    [row] = _rows(erp_x, INSPECTIONS)
    x = inspections["x"]
    assert (row["id"], row["officer"], row["status"], row["rectified_by"]) == (x.pk, officer_a.pk, "open", None)
    response = erp_x.get(f"{INSPECTIONS}{inspections['y'].pk}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_inspection_names_only_the_warnings_the_caller_may_read(erp_x, officer_a, inspections):
    # The park-wide warning is the officers' own: enterprise X cannot read it, so its row leaves it out.
    assert _rows(erp_x, INSPECTIONS)[0]["warnings"] == [inspections["of_x"].pk]
    assert erp_x.get(f"/api/v1/warnings/{inspections['park_wide'].pk}/").status_code == 404
    officers_row = session_of(officer_a).get(f"{INSPECTIONS}{inspections['x'].pk}/").json()
    assert sorted(officers_row["warnings"]) == sorted([inspections["of_x"].pk, inspections["park_wide"].pk])


def test_a_recorded_rectification_reads_with_who_and_when(provincial_platform, officer_a, inspections):
    mark_inspection_rectified(inspection=inspections["x"], actor=officer_a, note="Labels checked")
    row = provincial_platform.get(f"{INSPECTIONS}{inspections['x'].pk}/").json()
    assert (row["status"], row["rectified_by"], row["rectification_note"]) == (
        "rectified",
        officer_a.pk,
        "Labels checked",
    )
    assert row["rectified_at"] is not None
    assert _ids(provincial_platform, INSPECTIONS, status="rectified") == {inspections["x"].pk}


@pytest.mark.parametrize("params", [{"status": "overdue"}, {"date_from": "yesterday"}, {"park": "1.5"}])
def test_a_bad_inspection_filter_is_400(provincial_platform, inspections, params):
    response = provincial_platform.get(INSPECTIONS, params)
    assert response.status_code == 400
    assert set(params) <= set(error_of(response)["fields"])


def test_an_enterprise_client_cannot_record_its_own_inspection(erp_x, inspections, enterprise_x):
    body = {"enterprise": enterprise_x.pk, "date": "2026-01-05", "kind": "desk_check", "findings": "self-inspected"}
    response = erp_x.post(INSPECTIONS, body)
    assert response.status_code == 403
    assert Inspection.objects.count() == 2


def test_the_inspection_list_runs_a_constant_number_of_queries(
    provincial_platform, inspections, officer_a, enterprise_x
):
    few, count = _queries(provincial_platform, INSPECTIONS)
    assert count == 2
    for n in range(4):
        record_inspection(
            actor=officer_a, enterprise=enterprise_x, date=timezone.localdate(), kind="desk_check", findings=f"#{n}",
            warnings=[_a_warning(enterprise_x.park, enterprise_x, f"more-{n}")],
        )  # fmt: skip
    assert _queries(provincial_platform, INSPECTIONS) == (few, 6)


# --- revision requests ----------------------------------------------------------------------------


@pytest.fixture
def revision(hazardous_draft, advance, preparer_x):
    manifest = advance(hazardous_draft, "submitted")
    return transfer_services.propose_revision(
        manifest=manifest, actor=preparer_x, changes={"manifest": {"vehicle_plate": "黔D12345"}}, reason="车牌有误"
    )


def test_a_revision_request_reads_with_its_changes_and_decisions(provincial_platform, revision, driver_c, preparer_x):
    row = provincial_platform.get(f"{REVISIONS}{revision.pk}/").json()
    assert (row["manifest"], row["proposed_by"], row["proposing_party"]) == (
        revision.manifest_id,
        preparer_x.pk,
        "consignor",
    )
    assert row["changes"] == {"manifest": {"vehicle_plate": "黔D12345"}, "lines": {}}
    assert (row["status"], row["decided_at"], row["decisions"]) == ("pending", None, [])
    before = revision.updated_at
    # One of the two other parties approves: the request stays pending, and its row moves forward.
    transfer_services.decide_revision(revision=revision, actor=driver_c, approve=True, comment="同意")
    revision.refresh_from_db()
    assert revision.updated_at > before
    row = provincial_platform.get(REVISIONS, {"updated_after": before.isoformat()}).json()["results"][0]
    assert [(d["party"], d["decided_by"], d["decision"]) for d in row["decisions"]] == [
        ("carrier", driver_c.pk, "approve")
    ]
    assert row["status"] == "pending"


def test_revision_requests_are_seen_by_the_manifests_parties_only(erp_x, erp_y, revision):
    assert _ids(erp_x, REVISIONS) == {revision.pk}
    assert _ids(erp_y, REVISIONS) == set()
    response = erp_y.get(f"{REVISIONS}{revision.pk}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("params", [{"status": "maybe"}, {"manifest": "one"}, {"proposing_party": "driver"}])
def test_a_bad_revision_filter_is_400_and_nothing_is_written(erp_x, revision, params):
    response = erp_x.get(REVISIONS, params)
    assert response.status_code == 400
    assert set(params) <= set(error_of(response)["fields"])
    # A proposal without the changes it proposes is refused too.
    assert erp_x.post(REVISIONS, {"manifest": revision.manifest_id, "reason": "x"}).status_code == 400
    assert RevisionRequest.objects.count() == 1


def test_the_revision_list_runs_a_constant_number_of_queries(provincial_platform, revision, driver_c):
    transfer_services.decide_revision(revision=revision, actor=driver_c, approve=True)
    few, count = _queries(provincial_platform, REVISIONS)
    assert count == 1
    RevisionRequest.objects.bulk_create(
        [
            RevisionRequest(
                manifest=revision.manifest,
                proposed_by=revision.proposed_by,
                proposing_enterprise_id=revision.proposing_enterprise_id,
                proposing_party="consignor",
                changes={},
                previous={},
                reason=f"#{n}",
                status="refused",
            )
            for n in range(3)
        ]
    )
    assert _queries(provincial_platform, REVISIONS) == (few, 4)


# --- people ---------------------------------------------------------------------------------------


def test_the_provincial_platform_reads_everyone_without_contact_details(
    provincial_platform, preparer_x, clerk_r, officer_a, preparer_y
):
    rows = {row["username"]: row for row in _rows(provincial_platform, PEOPLE)}
    assert {"preparer_x", "clerk_r", "officer_a", "preparer_y"} <= set(rows)
    assert set(rows["preparer_x"]) == {
        "id", "username", "display_name", "is_active", "is_service_account", "memberships", "jurisdictions",
        "api_client_enterprise",
    }  # fmt: skip
    assert rows["officer_a"]["jurisdictions"] == [
        {"role": "park_officer", "park": officer_a.jurisdictions.get().park_id, "province_code": None}
    ]
    assert rows["preparer_x"]["memberships"] == [
        {"enterprise": preparer_x.enterprise_memberships.get().enterprise_id, "role": "preparer"}
    ]
    service = rows[provincial_platform.api_client.user.username]
    assert (service["is_service_account"], service["api_client_enterprise"]) == (True, None)


def test_an_enterprise_client_sees_its_staff_itself_and_the_drivers_of_its_manifests(
    erp_x, enterprise_x, preparer_x, clerk_r, officer_a, preparer_y, driver_c, hazardous_draft, advance
):
    admin_x = f.member(f.UserFactory(username="admin_x", full_name="王强"), enterprise_x, EnterpriseRole.ADMIN)
    own = {preparer_x.pk, admin_x.pk, erp_x.api_client.user_id}
    assert _ids(erp_x, PEOPLE) == own
    advance(hazardous_draft, "in_transit")  # driver_c signs the pickup and drives the load
    rows = {row["id"]: row for row in _rows(erp_x, PEOPLE)}
    assert set(rows) == own | {driver_c.pk}
    assert rows[admin_x.pk]["display_name"] == "王强"
    assert rows[erp_x.api_client.user_id]["api_client_enterprise"] == enterprise_x.pk
    for outsider in (clerk_r, officer_a, preparer_y):
        response = erp_x.get(f"{PEOPLE}{outsider.pk}/")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_an_officer_sees_the_parks_people_and_its_fellow_officers(
    officer_a, officer_b, provincial, preparer_x, clerk_r, preparer_y
):
    seen = _ids(session_of(officer_a), PEOPLE)
    assert {officer_a.pk, provincial.pk, preparer_x.pk, clerk_r.pk} <= seen
    assert not {officer_b.pk, preparer_y.pk} & seen


def test_people_filter_by_username_and_enterprise(provincial_platform, preparer_x, clerk_r, receiver_r):
    assert _ids(provincial_platform, PEOPLE, username="preparer_x") == {preparer_x.pk}
    assert _ids(provincial_platform, PEOPLE, enterprise=receiver_r.pk) == {clerk_r.pk}


@pytest.mark.parametrize("params", [{"enterprise": "abc"}, {"role": "pilot"}, {"officer_role": "mayor"}])
def test_a_bad_people_filter_is_400_and_nothing_is_written(erp_x, preparer_x, params):
    response = erp_x.get(PEOPLE, params)
    assert response.status_code == 400
    assert set(params) <= set(error_of(response)["fields"])
    response = erp_x.post(PEOPLE, {"username": "intruder"})
    assert response.status_code == 405
    assert not f.UserFactory._meta.model.objects.filter(username="intruder").exists()


def test_the_people_list_runs_a_constant_number_of_queries(provincial_platform, enterprise_x, officer_a):
    few, count = _queries(provincial_platform, PEOPLE)
    for n in range(4):
        f.member(f.UserFactory(username=f"staff{n}"), enterprise_x, EnterpriseRole.VIEWER)
        f.park_officer(f.UserFactory(username=f"officer{n}"), officer_a.jurisdictions.get().park)
    assert _queries(provincial_platform, PEOPLE) == (few, count + 8)


# --- divisions ------------------------------------------------------------------------------------


def test_every_signed_in_client_reads_the_divisions(erp_x, provincial_platform, anonymous):
    rows = _rows(erp_x, DIVISIONS, page_size=1000)
    assert {row["code"] for row in rows} == set(Division.objects.values_list("code", flat=True))
    tongren = next(row for row in rows if row["code"] == "5206")
    assert (tongren["name_zh"], tongren["province_code"]) == ("铜仁市", "52")
    province = Division.objects.get(code="52")
    assert _rows(provincial_platform, DIVISIONS, province="52", code="52") == [
        {"id": province.pk, "code": "52", "name_zh": "贵州省", "name_en": "Guizhou Province", "province_code": "52"}
    ]
    assert anonymous.get(DIVISIONS).status_code == 401


def test_divisions_page_in_id_order(provincial_platform, catalogue):
    ids, url = [], f"{DIVISIONS}?page_size=3"
    while url:
        body = provincial_platform.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    assert ids == sorted(Division.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("params", [{"page_size": "0"}, {"ordering": "name"}, {"cursor": "!!"}])
def test_a_bad_division_query_is_400_and_nothing_is_written(erp_x, catalogue, params):
    before = Division.objects.count()
    response = erp_x.get(DIVISIONS, params)
    assert response.status_code == 400
    assert set(params) <= set(error_of(response)["fields"])
    assert erp_x.post(DIVISIONS, {"code": "5299", "name_zh": "伪造市"}).status_code == 405
    assert Division.objects.count() == before
