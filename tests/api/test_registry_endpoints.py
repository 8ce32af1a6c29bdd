"""Registry endpoints: who sees what, who may change what, and constant query counts."""

from decimal import Decimal

import pytest

from registry.models import Enterprise, Facility
from tests import factories as f

from .conftest import error_of, session_of


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_provincial_platform_reads_every_enterprise(provincial_platform, enterprise_x, enterprise_y, receiver_r):
    assert _ids(provincial_platform.get("/api/v1/enterprises/")) == {enterprise_x.pk, enterprise_y.pk, receiver_r.pk}


def test_an_enterprise_client_sees_only_its_own_enterprise(erp_x, enterprise_x, enterprise_y, receiver_r):
    assert _ids(erp_x.get("/api/v1/enterprises/")) == {enterprise_x.pk}
    assert erp_x.get(f"/api/v1/enterprises/{enterprise_x.pk}/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/enterprises/{y}/", "/api/v1/permits/{permit}/", "/api/v1/facilities/{fac}/"])
def test_an_enterprise_client_gets_404_for_another_enterprises_objects(erp_x, enterprise_y, receiver_r, path):
    facility = f.FacilityFactory(enterprise=enterprise_y)
    permit = receiver_r.permits.get()
    response = erp_x.get(path.format(y=enterprise_y.pk, permit=permit.pk, fac=facility.pk))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_enterprise_client_cannot_change_another_enterprise(erp_x, enterprise_y):
    facility = f.FacilityFactory(enterprise=enterprise_y, name="Y yard")
    assert erp_x.patch(f"/api/v1/enterprises/{enterprise_y.pk}/", {"contact_name": "x"}).status_code == 404
    assert erp_x.patch(f"/api/v1/facilities/{facility.pk}/", {"name": "mine"}).status_code == 404
    response = erp_x.post(
        "/api/v1/facilities/", {"enterprise": enterprise_y.pk, "name": "Sneaky", "kind": "yard", "capacity_t": "1"}
    )
    assert response.status_code == 400 and "enterprise" in error_of(response)["fields"]
    enterprise_y.refresh_from_db()
    facility.refresh_from_db()
    assert enterprise_y.contact_name != "x" and facility.name == "Y yard"
    assert Facility.objects.count() == 1


def test_an_officer_sees_the_parks_enterprises_but_not_the_others(officer_a, enterprise_x, carrier_c, enterprise_y):
    caller = session_of(officer_a)
    assert _ids(caller.get("/api/v1/enterprises/")) == {enterprise_x.pk, carrier_c.pk}
    assert caller.get(f"/api/v1/enterprises/{enterprise_y.pk}/").status_code == 404


def test_an_enterprise_client_updates_its_contact_details(erp_x, enterprise_x):
    before = enterprise_x.updated_at
    response = erp_x.patch(
        f"/api/v1/enterprises/{enterprise_x.pk}/", {"contact_name": "李娜", "contact_phone": "0856-5209999"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["contact_name"] == "李娜"
    enterprise_x.refresh_from_db()
    assert (enterprise_x.contact_name, enterprise_x.contact_phone) == ("李娜", "0856-5209999")
    assert enterprise_x.updated_at > before
    assert enterprise_x.history.first().history_user == erp_x.api_client.user


def test_an_invalid_phone_is_refused_and_nothing_changes(erp_x, enterprise_x):
    response = erp_x.patch(f"/api/v1/enterprises/{enterprise_x.pk}/", {"contact_phone": "call me"})
    assert response.status_code == 400
    assert "contact_phone" in error_of(response)["fields"]
    enterprise_x.refresh_from_db()
    assert enterprise_x.contact_phone == "0856-5201234"


def test_an_enterprise_client_adds_and_changes_its_facilities(erp_x, enterprise_x):
    response = erp_x.post(
        "/api/v1/facilities/", {"enterprise": enterprise_x.pk, "name": "Yard 2", "kind": "yard", "capacity_t": "120.5"}
    )
    assert response.status_code == 201, response.content
    facility = Facility.objects.get(pk=response.json()["id"])
    assert facility.capacity_t == Decimal("120.5000") and response.json()["capacity_t"] == "120.5000"
    response = erp_x.patch(f"/api/v1/facilities/{facility.pk}/", {"capacity_t": "150", "active": False})
    assert response.status_code == 200
    facility.refresh_from_db()
    assert facility.capacity_t == Decimal("150") and not facility.active
    nested = erp_x.get(f"/api/v1/enterprises/{enterprise_x.pk}/").json()["facilities"]
    assert [(row["id"], row["capacity_t"]) for row in nested] == [(facility.pk, "150.0000")]


def test_a_facility_cannot_be_moved_to_another_enterprise(erp_x, enterprise_x, enterprise_y):
    facility = f.FacilityFactory(enterprise=enterprise_x)
    response = erp_x.patch(f"/api/v1/facilities/{facility.pk}/", {"enterprise": enterprise_y.pk})
    assert response.status_code == 400
    facility.refresh_from_db()
    assert facility.enterprise == enterprise_x


def test_a_preparer_or_officer_may_not_change_the_enterprise(preparer_x, officer_a, enterprise_x):
    for user in (preparer_x, officer_a):
        caller = session_of(user, csrf=False)
        response = caller.patch(f"/api/v1/enterprises/{enterprise_x.pk}/", {"contact_name": "x"})
        assert response.status_code == 403
        assert error_of(response)["code"] == "not_permitted"
    enterprise_x.refresh_from_db()
    assert enterprise_x.contact_name != "x"


def test_an_enterprise_administrator_in_the_browser_may(admin_x, enterprise_x):
    caller = session_of(admin_x, csrf=False)
    assert caller.patch(f"/api/v1/enterprises/{enterprise_x.pk}/", {"contact_name": "王芳"}).status_code == 200


def test_permits_list_with_lines_and_filters(provincial_platform, receiver_r, enterprise_x):
    body = provincial_platform.get("/api/v1/permits/", {"enterprise": receiver_r.pk}).json()
    [permit] = body["results"]
    assert permit["lines"] == [
        {
            "id": permit["lines"][0]["id"],
            "waste_code": "900-249-08",
            "category": None,
            "method": "R9",
            "annual_capacity_t": "1000.0000",
        }
    ]
    assert _ids(provincial_platform.get("/api/v1/permits/", {"waste_code": "900-249-08"})) == {permit["id"]}
    assert _ids(provincial_platform.get("/api/v1/permits/", {"waste_code": "900-041-49"})) == set()
    assert _ids(provincial_platform.get("/api/v1/permits/", {"enterprise": enterprise_x.pk})) == set()


def test_catalogue_endpoints_filter_by_class_and_kind(provincial_platform, catalogue):
    medical = provincial_platform.get("/api/v1/waste-codes/", {"waste_class": "medical"}).json()["results"]
    assert medical and all(row["waste_class"] == "medical" for row in medical)
    methods = provincial_platform.get("/api/v1/management-methods/", {"kind": "disposal"}).json()["results"]
    assert methods and all(row["kind"] == "disposal" for row in methods)
    categories = provincial_platform.get("/api/v1/waste-categories/", {"code": "HW"}).json()["results"]
    assert categories and all(row["code"].startswith("HW") for row in categories)


def _enterprises_with_permits_and_facilities(park, count: int) -> None:
    for n in range(count):
        enterprise = f.EnterpriseFactory(park=park, name=f"Q{n}", is_receiver=True)
        f.FacilityFactory(enterprise=enterprise)
        f.PermitLineFactory(permit=f.PermitFactory(enterprise=enterprise))


@pytest.mark.parametrize("count", [5, 50])
def test_the_enterprise_list_runs_a_constant_number_of_queries(
    provincial_platform, park_a, count, django_assert_max_num_queries
):
    _enterprises_with_permits_and_facilities(park_a, count)
    # token (1) + last use (1, at most once a minute) + scope (1) + sync horizon (1) + page (1)
    # + permits (1) + their lines (1) + facilities (1) + management class history (1), whatever the number of rows
    with django_assert_max_num_queries(9):
        response = provincial_platform.get("/api/v1/enterprises/", {"page_size": 100})
    assert len(response.json()["results"]) == count
    assert all(row["permits"][0]["lines"] and row["facilities"] for row in response.json()["results"])


@pytest.mark.parametrize("path", ["/api/v1/parks/", "/api/v1/permits/", "/api/v1/facilities/", "/api/v1/waste-codes/"])
def test_every_registry_list_runs_a_constant_number_of_queries(
    provincial_platform, park_a, path, django_assert_max_num_queries
):
    _enterprises_with_permits_and_facilities(park_a, 20)
    with django_assert_max_num_queries(6):
        assert provincial_platform.get(path).status_code == 200


def test_enterprise_rows_carry_updated_at_and_status(provincial_platform, enterprise_x):
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status="closed")
    [row] = provincial_platform.get("/api/v1/enterprises/").json()["results"]
    assert row["status"] == "closed" and row["updated_at"]
