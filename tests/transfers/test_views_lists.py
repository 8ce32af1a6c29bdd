"""The ledger and stock lists, and the CSV and Excel exports of every transfer list."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories as f
from tests.transfers.factories import generate
from wasteparks.exports import safe_cell

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- the shared export helpers --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x"])
def test_text_that_would_start_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


def test_numbers_and_plain_text_are_left_alone():
    assert safe_cell(Decimal("-3.5")) == Decimal("-3.5")
    assert safe_cell(-2) == -2
    assert safe_cell("铜仁 = 大龙") == "铜仁 = 大龙"
    assert safe_cell(None) == ""


# --- ledger ---------------------------------------------------------------------------------------


def test_the_ledger_lists_entries_of_visible_enterprises_only(client, preparer_x, preparer_y, officer_a, x_store):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="4")
    client.force_login(officer_a)
    assert client.get(reverse("transfers:ledger_list")).context["page"].paginator.count == 1
    client.force_login(preparer_y)
    assert client.get(reverse("transfers:ledger_list")).context["page"].paginator.count == 0


def test_the_ledger_filters_by_stage_code_text_and_date(client, preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="4")
    generate(
        actor=preparer_x,
        facility=x_store,
        code="900-249-08",
        quantity="1",
        stage="disposed_in_house",
        method="D10",
        hours_ago=72,
    )
    client.force_login(preparer_x)
    url = reverse("transfers:ledger_list")
    assert client.get(url, {"stage": "disposed_in_house"}).context["page"].paginator.count == 1
    assert client.get(url, {"code": "900-249"}).context["page"].paginator.count == 2
    assert client.get(url, {"code": "841"}).context["page"].paginator.count == 0
    assert client.get(url, {"q": "Enterprise X"}).context["page"].paginator.count == 2
    from django.utils import timezone

    today = timezone.localdate()
    assert client.get(url, {"occurred_from": today.isoformat()}).context["page"].paginator.count == 1
    assert (
        client.get(url, {"occurred_to": (today - timedelta(days=2)).isoformat()}).context["page"].paginator.count == 1
    )
    assert client.get(url, {"occurred_from": "not-a-date"}).status_code == 200


@pytest.mark.parametrize("rows", [5, 50])
def test_the_ledger_and_stock_lists_run_a_constant_number_of_queries(
    client, officer_a, preparer_x, enterprise_x, django_assert_max_num_queries, rows
):
    facility = None
    for index in range(rows):
        if index % 5 == 0:
            facility = f.FacilityFactory(enterprise=enterprise_x)
        generate(actor=preparer_x, facility=facility, code="900-249-08", quantity="1", hours_ago=index)
    client.force_login(officer_a)
    for url in (reverse("transfers:ledger_list"), reverse("transfers:stock_list")):
        with django_assert_max_num_queries(9):
            assert client.get(url).status_code == 200
        with django_assert_max_num_queries(9):
            assert client.get(url, {"export": "xlsx"}).status_code == 200


def test_the_ledger_export_has_the_filtered_rows_with_formulas_defused(client, preparer_x, enterprise_x, x_store):
    from transfers import services

    services.record_ledger_entry(
        actor=preparer_x,
        enterprise=enterprise_x,
        facility=x_store,
        waste_code=f.waste_code("900-249-08"),
        stage="generated",
        quantity_t=Decimal("2.5"),
        batch_code='=HYPERLINK("http://x")',
        note="@SUM(1)",
    )
    generate(
        actor=preparer_x, facility=x_store, code="900-249-08", quantity="1", stage="disposed_in_house", method="D10"
    )
    client.force_login(preparer_x)
    url = reverse("transfers:ledger_list")
    rows = read_csv(client.get(url, {"stage": "generated", "export": "csv"}))
    assert len(rows) == 2
    header, row = rows
    assert row[header.index("Batch code")] == '\'=HYPERLINK("http://x")'
    assert row[header.index("Note")] == "'@SUM(1)"
    assert row[header.index("Quantity (t)")] == "2.5000"
    sheet = read_xlsx(client.get(url, {"stage": "generated", "export": "xlsx"}))
    assert len(sheet) == 2
    assert sheet[1][header.index("Batch code")] == '\'=HYPERLINK("http://x")'
    assert sheet[1][header.index("Quantity (t)")] == 2.5
    assert isinstance(sheet[1][header.index("Quantity (t)")], float | int)


# --- stock ----------------------------------------------------------------------------------------


def test_the_stock_list_shows_the_age_of_the_oldest_tonne(client, preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="4", hours_ago=24 * 400)
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="1")
    client.force_login(preparer_x)
    response = client.get(reverse("transfers:stock_list"))
    balance = response.context["page"][0]
    assert balance.quantity_t == Decimal("5") and balance.age_days == 400
    assert "row-problem" in response.content.decode()
    sheet = read_xlsx(client.get(reverse("transfers:stock_list"), {"export": "xlsx"}))
    assert sheet[1][-1] == 400 and sheet[1][4] == 5


def test_stock_of_another_enterprise_is_not_listed(client, preparer_y, preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="4")
    client.force_login(preparer_y)
    assert client.get(reverse("transfers:stock_list")).context["page"].paginator.count == 0


# --- manifest export ------------------------------------------------------------------------------


def test_the_manifest_export_follows_the_filters(client, officer_a, hazardous_draft, advance):
    advance(hazardous_draft, "received")
    client.force_login(officer_a)
    url = reverse("transfers:manifest_list")
    rows = read_csv(client.get(url, {"status": "received", "export": "csv"}))
    assert len(rows) == 2 and rows[1][0] == hazardous_draft.number
    assert rows[1][2] == "Enterprise X (generator)"
    assert read_csv(client.get(url, {"status": "draft", "export": "csv"}))[1:] == []
    sheet = read_xlsx(client.get(url, {"status": "received", "export": "xlsx"}))
    header = sheet[0]
    assert sheet[1][header.index("Declared (t)")] == 10
    assert sheet[1][header.index("Number")] == hazardous_draft.number


def test_the_pagination_keeps_the_filters(
    client, officer_a, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, monkeypatch
):
    from tests.transfers.factories import draft
    from wasteparks import lists

    for _ in range(3):
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    client.force_login(officer_a)
    monkeypatch.setattr(lists, "PAGE_SIZE", 2)
    html = client.get(reverse("transfers:manifest_list"), {"status": "draft"}).content.decode()
    assert "?status=draft&amp;page=2" in html
