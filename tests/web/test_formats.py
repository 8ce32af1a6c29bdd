"""Formats from the locale: one date and time format in both languages, quantities grouped, quantities
typed the way people type them ("1,5" refused, never read as 15), codes in any case, methods in the
order people count them."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from reporting.forms.inspections import InspectionForm
from tests import factories as f
from tests.api.conftest import bearer
from transfers.forms import LedgerEntryForm, TreatmentLineForm
from transfers.models import LedgerEntry
from wasteparks.forms import QuantityField
from wasteparks.parsing import catalogue_code

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WHEN = datetime(2026, 12, 15, 14, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dates_and_times_read_the_same_in_both_languages(language):
    page = Template("{{ when }}|{{ day }}|{{ when|date:'SHORT_DATETIME_FORMAT' }}|{{ day|date }}")
    with translation.override(language):
        text = page.render(Context({"when": WHEN, "day": date(2026, 12, 15)}))
    assert text == "2026-12-15 14:30|2026-12-15|2026-12-15 14:30|2026-12-15"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_inspection_date_shows_in_the_date_picker_in_both_languages(language, officer_a):
    with translation.override(language):
        form = InspectionForm(initial={"date": date(2026, 12, 15)}, user=officer_a)
        html = str(form["date"])
    assert 'type="date"' in html and 'value="2026-12-15"' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_tonnes_are_grouped_and_keep_the_decimals_they_carry(language):
    page = Template("{% load quantities %}{{ a|tonnes }}|{{ b|tonnes }}|{{ c|tonnes }}|{{ d|tonnes }}|{{ e|tonnes }}")
    values = {
        "a": Decimal("50000.0000"),
        "b": Decimal("1234567.2500"),
        "c": Decimal("0.0001"),
        "d": Decimal("-12.5"),
        "e": None,
    }
    with translation.override(language):
        assert page.render(Context(values)) == "50,000|1,234,567.25|0.0001|-12.5|"


def quantity(raw: str):
    field = QuantityField(max_digits=14, decimal_places=4)
    return field.clean(raw)


@pytest.mark.parametrize(
    "typed, read",
    [("1.5", Decimal("1.5")), ("1,500", Decimal("1500")), ("12,345.5", Decimal("12345.5")), ("１．５", Decimal("1.5"))],
)
def test_a_quantity_is_read_as_people_write_it(typed, read):
    assert quantity(typed) == read


@pytest.mark.parametrize("typed", ["1,5", "1,50", "12,34.5", "1.500,5"])
def test_a_comma_that_does_not_group_thousands_is_refused_not_guessed(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        quantity(typed)
    assert refused.value.code == "ambiguous"


def test_the_quantity_box_is_text_with_a_decimal_keypad_so_the_browser_cannot_rewrite_it(preparer_x):
    html = str(LedgerEntryForm(user=preparer_x)["quantity_t"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html


def test_typing_1_comma_5_in_the_ledger_records_nothing_and_says_why(client, preparer_x, enterprise_x, x_store):
    client.force_login(preparer_x)
    data = {
        "enterprise": enterprise_x.pk,
        "facility": x_store.pk,
        "stage": "generated",
        "waste_code": "900-249-08",
        "quantity_t": "1,5",
        "occurred_at": "",
        "method": "",
        "batch_code": "",
        "note": "",
    }
    response = client.post(reverse("transfers:ledger_new"), data)
    assert response.status_code == 400
    assert "comma only separates thousands" in " ".join(response.context["form"].errors["quantity_t"])
    assert not LedgerEntry.objects.exists()

    data["quantity_t"] = "12,345.5"
    assert client.post(reverse("transfers:ledger_new"), data).status_code == 302
    assert LedgerEntry.objects.get().quantity_t == Decimal("12345.5")
    assert "12,345.5" in client.get(reverse("transfers:ledger_list")).content.decode()


def test_codes_are_read_in_the_catalogues_spelling():
    assert catalogue_code(" sw01 ") == "SW01"
    assert catalogue_code("ｈｗ０８") == "HW08"
    assert catalogue_code("r9") == "R9"


def test_a_lower_case_waste_code_is_accepted_in_the_ledger_form(preparer_x, enterprise_x, x_store):
    form = LedgerEntryForm(
        data={
            "enterprise": enterprise_x.pk,
            "facility": x_store.pk,
            "stage": "generated",
            "waste_code": "sw01",
            "quantity_t": "2",
        },
        user=preparer_x,
    )
    form.is_valid()
    assert "waste_code" not in form.errors
    assert form.cleaned_data["waste_code"].code == "SW01"


def test_the_api_filters_take_codes_in_any_case(catalogue):
    from registry.clients import create_api_client
    from registry.models import ApiScope

    _, token = create_api_client(name="Provincial platform", scope=ApiScope.READ_ALL)
    caller = bearer(token)
    upper = caller.get("/api/v1/waste-codes/", {"category": "HW08", "page_size": 1000}).json()["results"]
    lower = caller.get("/api/v1/waste-codes/", {"category": "hw08", "page_size": 1000}).json()["results"]
    assert upper and [row["code"] for row in lower] == [row["code"] for row in upper]
    methods = caller.get("/api/v1/management-methods/", {"code": "r9"}).json()["results"]
    assert [row["code"] for row in methods] == ["R9"]


def natural(code: str) -> tuple:
    letters, number = re.fullmatch(r"([A-Z]+)(\d+)", code).groups()
    return letters, int(number)


def test_methods_are_offered_in_the_order_people_count_them(catalogue):
    codes = [
        method.code for method in TreatmentLineForm(method_kinds={"utilization", "disposal"}).fields["method"].queryset
    ]
    assert "D9" in codes and "D10" in codes
    assert codes == sorted(codes, key=natural)
    assert codes.index("D9") < codes.index("D10")


def test_the_ledger_form_offers_methods_in_the_same_order(preparer_x):
    codes = [method.code for method in LedgerEntryForm(user=preparer_x).fields["method"].queryset]
    assert codes == sorted(codes, key=natural)


def test_grouped_quantities_reach_the_page_of_an_officer(client, officer_a, enterprise_x, x_store):
    f.FacilityFactory(enterprise=enterprise_x, name="大库", capacity_t=Decimal("50000"))
    client.force_login(officer_a)
    html = client.get(reverse("reporting:enterprise_detail", args=[enterprise_x.pk])).content.decode()
    assert "50,000" in html and "50000.0000" not in html
