"""Registry lists: the enterprise register's exports, and the permits list (filters, sorting, pages,
exports) for every persona, at a constant number of queries."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from registry.models import EnterpriseStatus, PermitKind
from tests import factories as f

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","click")'


def rows(response) -> list[tuple]:
    return list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))


# --- enterprises ----------------------------------------------------------------------------------


def test_the_enterprise_export_holds_the_filtered_rows(client, officer_a, park_a, enterprise_x, enterprise_y):
    f.EnterpriseFactory(park=park_a, name="锰渣综合利用", status=EnterpriseStatus.PENDING)
    client.force_login(officer_a)
    url = reverse("registry:enterprise_list")
    response = client.get(url, {"status": "pending", "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    table = rows(response)
    assert [row[0] for row in table[1:]] == ["锰渣综合利用"]
    csv = client.get(url, {"export": "csv"}).content.decode("utf-8-sig")
    assert enterprise_x.name in csv and enterprise_y.name not in csv  # another park's stays out


def test_the_enterprise_export_keeps_formulas_as_text(client, officer_a, park_a):
    f.EnterpriseFactory(park=park_a, name=FORMULA, address="@SUM(A1:A9)")
    client.force_login(officer_a)
    response = client.get(reverse("registry:enterprise_list"), {"export": "xlsx"})
    workbook = load_workbook(BytesIO(response.content))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    values = {cell.value for cell in cells}
    assert "'" + FORMULA in values and "'@SUM(A1:A9)" in values
    csv = client.get(reverse("registry:enterprise_list"), {"export": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv


@pytest.mark.parametrize("count", [5, 50])
def test_the_enterprise_export_runs_a_constant_number_of_queries(
    client, officer_a, park_a, count, django_assert_max_num_queries
):
    f.EnterpriseFactory.create_batch(count, park=park_a)
    client.force_login(officer_a)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("registry:enterprise_list"), {"export": "csv"})
    assert response.status_code == 200


def test_enterprise_pages_keep_every_filter(client, officer_a, park_a):
    f.EnterpriseFactory.create_batch(51, park=park_a, status=EnterpriseStatus.ACTIVE)
    client.force_login(officer_a)
    html = client.get(reverse("registry:enterprise_list"), {"q": "", "status": "active"}).content.decode()
    assert "?q=&amp;status=active&amp;page=2" in html


# --- permits --------------------------------------------------------------------------------------


@pytest.fixture
def permits(enterprise_x, enterprise_y, receiver_r):
    today = timezone.localdate()
    return {
        "valid": receiver_r.permits.get(),
        "expiring": f.PermitFactory(enterprise=enterprise_x, number="GZ-HW-EXPIRING", valid_to=today + timedelta(10)),
        "expired": f.PermitFactory(
            enterprise=enterprise_x,
            number="GZ-RT-OLD",
            kind=PermitKind.ROAD_TRANSPORT,
            valid_from=today - timedelta(800),
            valid_to=today - timedelta(1),
        ),
        "park_b": f.PermitFactory(enterprise=enterprise_y, number="GZ-HW-PARKB"),
    }


def permit_numbers(response) -> list[str]:
    return [permit.number for permit in response.context["page"]]


def test_permit_list_needs_a_login(client):
    response = client.get(reverse("registry:permit_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("officer_a", {"valid", "expiring", "expired"}),
        ("officer_b", {"park_b"}),
        ("preparer_x", {"expiring", "expired"}),
        ("preparer_y", {"park_b"}),
        ("provincial", {"valid", "expiring", "expired", "park_b"}),
    ],
)
def test_each_persona_sees_only_its_permits(client, request, permits, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("registry:permit_list"))
    assert set(permit_numbers(response)) == {permits[key].number for key in expected}
    csv = client.get(reverse("registry:permit_list"), {"export": "csv"}).content.decode("utf-8-sig")
    for key, permit in permits.items():
        assert (permit.number in csv) is (key in expected)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"validity": "valid"}, ["valid", "expiring"]),
        ({"validity": "expiring"}, ["expiring"]),
        ({"validity": "expired"}, ["expired"]),
        ({"kind": "road_transport"}, ["expired"]),
        ({"code": "900-249"}, ["valid"]),
        ({"q": "EXPIRING"}, ["expiring"]),
    ],
)
def test_permit_filters(client, officer_a, permits, params, expected):
    client.force_login(officer_a)
    response = client.get(reverse("registry:permit_list"), params)
    assert sorted(permit_numbers(response)) == sorted(permits[key].number for key in expected)


def test_permit_filter_by_enterprise_sort_and_states(client, officer_a, permits, enterprise_x):
    client.force_login(officer_a)
    url = reverse("registry:permit_list")
    by_x = client.get(url, {"enterprise": enterprise_x.pk, "sort": "-valid_to"})
    assert permit_numbers(by_x) == ["GZ-HW-EXPIRING", "GZ-RT-OLD"]
    assert [permit.state for permit in by_x.context["page"]] == ["expiring", "expired"]
    assert permit_numbers(client.get(url, {"sort": "valid_to"}))[0] == "GZ-RT-OLD"
    # Nonsense input is ignored or shown as a field message, never an error page.
    odd = client.get(url, {"sort": "password", "validity": "forever", "enterprise": "abc"})
    assert odd.status_code == 200 and odd.context["form"].errors


def test_another_parks_enterprise_is_no_filter_choice(client, officer_a, permits, enterprise_y):
    client.force_login(officer_a)
    response = client.get(reverse("registry:permit_list"), {"enterprise": enterprise_y.pk})
    assert "enterprise" in response.context["form"].errors
    assert permits["park_b"].number not in permit_numbers(response)


def test_the_permit_export_keeps_formulas_as_text(client, officer_a, enterprise_x):
    f.PermitFactory(enterprise=enterprise_x, number="GZ-1", issuer=FORMULA)
    client.force_login(officer_a)
    response = client.get(reverse("registry:permit_list"), {"export": "xlsx"})
    cells = [cell for row in load_workbook(BytesIO(response.content)).active.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert "'" + FORMULA in {cell.value for cell in cells}


@pytest.mark.parametrize("count", [5, 50])
def test_the_permit_list_and_export_run_a_constant_number_of_queries(
    client, officer_a, park_a, count, django_assert_max_num_queries
):
    for index in range(count):
        permit = f.PermitFactory(enterprise=f.EnterpriseFactory(park=park_a), number=f"GZ-{index:04d}")
        f.PermitLineFactory(permit=permit, waste_code=f.waste_code("900-249-08"), method=f.method("R9"))
    client.force_login(officer_a)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("registry:permit_list"))
    assert len(page.context["page"]) == count
    with django_assert_max_num_queries(12):
        assert client.get(reverse("registry:permit_list"), {"export": "xlsx"}).status_code == 200


def test_permit_pages_keep_every_filter(client, officer_a, park_a):
    for index in range(51):
        f.PermitFactory(enterprise=f.EnterpriseFactory(park=park_a), number=f"GZ-{index:04d}")
    client.force_login(officer_a)
    html = client.get(reverse("registry:permit_list"), {"kind": "hw_operating", "sort": "number"}).content.decode()
    assert "?kind=hw_operating&amp;sort=number&amp;page=2" in html


def test_officers_get_the_permits_page_in_the_menu(client, officer_a, preparer_x):
    client.force_login(officer_a)
    page = client.get(reverse("registry:permit_list"))
    assert reverse("registry:permit_list") in [item["url"] for item in page.context["nav_items"]]
    client.force_login(preparer_x)
    page = client.get(reverse("registry:enterprise_list"))
    assert reverse("registry:permit_list") not in [item["url"] for item in page.context["nav_items"]]


def test_a_list_page_does_not_run_its_export_query(client, officer_a, park_a, django_assert_max_num_queries):
    from tests import factories as f

    f.EnterpriseFactory.create_batch(3, park=park_a, name="导出企业")
    client.force_login(officer_a)

    def full_reads(queries):
        return [q["sql"] for q in queries if 'FROM "registry_enterprise"' in q["sql"]
                and "ORDER BY" in q["sql"] and "LIMIT" not in q["sql"]]  # fmt: skip

    with django_assert_max_num_queries(20) as page:
        client.get(reverse("registry:enterprise_list"))
    assert full_reads(page.captured_queries) == []  # a page reads its 50 rows, not the whole list
    with django_assert_max_num_queries(20) as export:
        response = client.get(reverse("registry:enterprise_list"), {"export": "csv"})
    assert len(full_reads(export.captured_queries)) == 1
    assert response.content.decode("utf-8-sig").count("导出企业") == 3
