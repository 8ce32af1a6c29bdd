"""Reconciling the battery platform's records with the park's manifests and ledger: a worked example,
the page, and its tenancy."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting.imports.reconcile import DIFFERS, LEDGER_ONLY, MATCHED, PLATFORM_ONLY, reconcile
from reporting.imports.services import import_file
from tests import factories as f
from tests.reporting.test_platform_import import csv_bytes, row
from tests.transfers.factories import draft, generate
from wasteparks.periods import Period

BATTERY_CODE = "900-052-31"


@pytest.fixture
def battery_month(parties, advance, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, officer_a, park_a):
    """This month at park A: X generated 50 t of waste batteries and shipped two manifests of them (10 t
    and 5 t); the platform reports the 10 t manifest as 10.2 t, a transfer with no manifest, and X's
    collections as 70 t."""
    permit = receiver_r.permits.get()
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code(BATTERY_CODE), method=f.method("R9"))
    generate(actor=preparer_x, facility=x_store, code=BATTERY_CODE, quantity="50")
    named, unnamed = (
        advance(draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r,
                      facility=x_store, code=BATTERY_CODE, quantity=quantity), "in_transit")
        for quantity in ("10", "5")
    )  # fmt: skip
    today = timezone.localdate().isoformat()
    rows = [
        row("T1", enterprise_x, kind="转移", quantity="10.2", manifest=named.number),
        row("T2", enterprise_x, kind="转移", quantity="3"),
        row("C1", enterprise_x, quantity="40"),
        row("C2", enterprise_x, quantity="30"),
    ]
    for item in rows:
        item[2] = today
    run = import_file(source="batteries", park=park_a, actor=officer_a, file_name="m.csv", content=csv_bytes(rows))
    assert run.rows_imported == 4, list(run.rows.values_list("reason", flat=True))
    return {"named": named, "unnamed": unnamed}


def test_the_worked_example_lists_each_kind_of_difference(battery_month, park_a, enterprise_x):
    result = reconcile(park=park_a, period=Period.containing(timezone.now()))

    lines = {(line.outcome, line.manifest_number): line for line in result.lines}
    assert result.tolerance == Decimal("0.05")
    # 10.2 t against 10 t declared is within 5 %.
    named = lines[(MATCHED, battery_month["named"].number)]
    assert (named.platform_t, named.ours_t, named.record_ids) == (Decimal("10.2"), Decimal("10"), ["T1"])
    assert lines[(LEDGER_ONLY, battery_month["unnamed"].number)].ours_t == Decimal("5")
    assert lines[(PLATFORM_ONLY, "")].record_ids == ["T2"]
    # 70 t collected on the platform against 50 t generated in the ledger.
    collected = lines[(DIFFERS, "")]
    assert (collected.platform_t, collected.ours_t, collected.enterprise) == (
        Decimal("70"),
        Decimal("50"),
        enterprise_x,
    )
    assert [line.outcome for line in result.differences] == [LEDGER_ONLY, PLATFORM_ONLY, DIFFERS]


def test_a_month_without_records_has_nothing_to_reconcile(park_a):
    assert reconcile(park=park_a, period=Period.month_of(2020, 1)).lines == []


def test_the_reconciliation_page_lists_the_differences(
    client, battery_month, officer_a, park_a, django_assert_max_num_queries
):
    client.force_login(officer_a)
    month = timezone.localdate().strftime("%Y-%m")

    with django_assert_max_num_queries(25):
        response = client.get(reverse("reporting:import_reconciliation"), {"park": park_a.pk, "month": month})

    page = response.content.decode()
    assert response.status_code == 200
    assert battery_month["unnamed"].number in page and "In our records only" in page and "T2" in page


def test_an_officer_of_park_b_cannot_reconcile_park_a(client, battery_month, officer_b, park_a):
    client.force_login(officer_b)
    month = timezone.localdate().strftime("%Y-%m")

    response = client.get(reverse("reporting:import_reconciliation"), {"park": park_a.pk, "month": month})

    assert response.status_code == 400 and battery_month["unnamed"].number not in response.content.decode()


@pytest.mark.parametrize("month", ["2026-13", "abc", "１２３４-05", ""])
def test_a_bad_month_is_a_form_error(client, officer_a, park_a, month):
    client.force_login(officer_a)
    response = client.get(reverse("reporting:import_reconciliation"), {"park": park_a.pk, "month": month})
    assert response.status_code == 400
