"""A wrong ledger entry is corrected by a reversing entry, never edited: stock and the report prefill follow."""

from decimal import Decimal

import pytest
from django.urls import reverse

from registry.clients import create_api_client
from registry.models import ApiScope
from reporting.services import reports as report_services
from tests.api.conftest import bearer, error_of
from tests.transfers.factories import generate, stock
from transfers.models import LedgerEntry, LedgerStage, StockBalance
from transfers.services.ledger import reverse_ledger_entry
from wasteparks.errors import RuleViolation, TransitionNotAllowed

pytestmark = pytest.mark.django_db

HW = "900-249-08"


def reverse_url(entry) -> str:
    return f"/api/v1/ledger-entries/{entry.pk}/reverse/"


@pytest.fixture
def wrong_entry(preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10", hours_ago=5)
    return generate(actor=preparer_x, facility=x_store, code=HW, quantity="120", hours_ago=2)


def test_a_reversal_restores_the_stock_and_records_who_and_why(wrong_entry, preparer_x, enterprise_x, x_store):
    assert stock(enterprise_x, x_store, HW) == Decimal("130")
    reversal = reverse_ledger_entry(entry=wrong_entry, actor=preparer_x, reason="typed 120 for 12")

    assert stock(enterprise_x, x_store, HW) == Decimal("10")
    assert reversal.reverses == wrong_entry and reversal.quantity_t == Decimal("-120")
    assert (reversal.stage, reversal.occurred_at) == (wrong_entry.stage, wrong_entry.occurred_at)
    assert reversal.recorded_by == preparer_x and reversal.note == "typed 120 for 12"
    assert not StockBalance.objects.drifted().exists()
    balance = StockBalance.objects.get(facility=x_store)
    assert (balance.total_in_t, balance.total_out_t) == (Decimal("10"), Decimal("0"))


def test_an_entry_cannot_be_reversed_twice_nor_a_reversal_reversed(wrong_entry, preparer_x):
    reversal = reverse_ledger_entry(entry=wrong_entry, actor=preparer_x, reason="wrong")
    with pytest.raises(TransitionNotAllowed):
        reverse_ledger_entry(entry=wrong_entry, actor=preparer_x, reason="again")
    with pytest.raises(RuleViolation, match="itself a reversal"):
        reverse_ledger_entry(entry=reversal, actor=preparer_x, reason="undo the undo")
    assert LedgerEntry.objects.filter(reverses__isnull=False).count() == 1


def test_a_reversal_that_would_leave_negative_stock_is_refused(wrong_entry, preparer_x, enterprise_x, x_store):
    generate(
        actor=preparer_x, facility=x_store, code=HW, quantity="100", stage=LedgerStage.DISPOSED_IN_HOUSE, method="D10"
    )
    with pytest.raises(RuleViolation) as refusal:
        reverse_ledger_entry(entry=wrong_entry, actor=preparer_x, reason="wrong")
    assert refusal.value.code == "insufficient_stock"
    assert stock(enterprise_x, x_store, HW) == Decimal("30")
    assert not LedgerEntry.objects.filter(reverses__isnull=False).exists()


def test_an_entry_posted_by_a_manifest_signature_is_corrected_by_a_revision_not_reversed(
    hazardous_draft, advance, preparer_x
):
    advance(hazardous_draft, "in_transit")
    shipped = LedgerEntry.objects.get(stage=LedgerStage.SHIPPED)
    with pytest.raises(RuleViolation) as refusal:
        reverse_ledger_entry(entry=shipped, actor=preparer_x, reason="wrong")
    assert refusal.value.code == "entry_from_manifest"


def test_the_monthly_report_prefill_follows_a_reversal(scripted_month, preparer_x, enterprise_x):
    period = scripted_month["period"]
    generated = LedgerEntry.objects.get(
        enterprise=enterprise_x, stage=LedgerStage.GENERATED, quantity_t=Decimal("25.5")
    )
    reverse_ledger_entry(entry=generated, actor=preparer_x, reason="recorded for the wrong enterprise")
    report = report_services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
    )
    line = report.current_revision.lines.get(waste_code__code=HW)
    assert line.generated_t == Decimal("0")
    assert line.closing_stock_t == Decimal("40.25") - Decimal("25.5")


# --- the page --------------------------------------------------------------------------------------


def test_the_preparer_reverses_an_entry_from_the_ledger_page(client, wrong_entry, preparer_x, enterprise_x, x_store):
    client.force_login(preparer_x)
    url = reverse("transfers:ledger_reverse", args=[wrong_entry.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "typed 120 for 12"})
    assert response.status_code == 302
    assert stock(enterprise_x, x_store, HW) == Decimal("10")


def test_the_page_refuses_a_reversal_without_a_reason_and_writes_nothing(client, wrong_entry, preparer_x):
    client.force_login(preparer_x)
    response = client.post(reverse("transfers:ledger_reverse", args=[wrong_entry.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert not LedgerEntry.objects.filter(reverses__isnull=False).exists()


def test_another_enterprise_cannot_reach_the_reversal_page(client, wrong_entry, preparer_y):
    client.force_login(preparer_y)
    url = reverse("transfers:ledger_reverse", args=[wrong_entry.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "mine now"}).status_code == 404
    assert not LedgerEntry.objects.filter(reverses__isnull=False).exists()


def test_an_officer_who_sees_the_entry_may_not_reverse_it(client, wrong_entry, officer_a):
    client.force_login(officer_a)
    response = client.post(reverse("transfers:ledger_reverse", args=[wrong_entry.pk]), {"reason": "looks wrong"})
    assert response.status_code == 403
    assert not LedgerEntry.objects.filter(reverses__isnull=False).exists()


# --- the API -----------------------------------------------------------------------------------------


def test_the_api_reverses_an_entry_and_answers_with_the_reversal(wrong_entry, enterprise_x, x_store):
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    response = bearer(token).post(reverse_url(wrong_entry), {"reason": "typed 120 for 12"}, format="json")
    assert response.status_code == 201, response.content
    assert Decimal(response.json()["quantity_t"]) == Decimal("-120")
    assert LedgerEntry.objects.get(reverses=wrong_entry).source == "api"
    assert stock(enterprise_x, x_store, HW) == Decimal("10")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 301}, {"reason": "ok", "extra": 1}])
def test_the_api_refuses_bad_input_and_writes_nothing(wrong_entry, enterprise_x, body):
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    response = bearer(token).post(reverse_url(wrong_entry), body, format="json")
    assert response.status_code == 400
    error_of(response)
    assert not LedgerEntry.objects.filter(reverses__isnull=False).exists()


def test_the_api_answers_404_for_another_enterprises_entry(wrong_entry, enterprise_y):
    _, token = create_api_client(name="Y ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_y)
    response = bearer(token).post(reverse_url(wrong_entry), {"reason": "mine now"}, format="json")
    assert response.status_code == 404
    assert not LedgerEntry.objects.filter(reverses__isnull=False).exists()
