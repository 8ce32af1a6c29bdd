"""No figure the ledger can hold stops the recompute or the API (reporting/services/utilization.py).

One statement writes the rows of every park, so one row the columns cannot hold used to abort them all;
a rate beyond the serializer's digits answered 500 for every page holding it. Now a rate above 10,000 %
is withheld (NULL, note rate_beyond_bound), quantities beyond a tonnes column are stored at its limit
with the rates withheld (figures_out_of_range), a negative month-end stock is stored as 0
(stock_out_of_range), and every other row is written as usual.
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import FacilityKind
from reporting.models import TONNES_MAX, RateNote, SnapshotScope, UtilizationSnapshot
from reporting.services.utilization import recompute_period
from tests import factories as f
from tests.api import conftest as api_fixtures
from tests.api.conftest import session_of
from tests.fixtures import reports as ledger
from transfers.models import LedgerStage
from wasteparks.periods import Period

provincial_platform = api_fixtures.provincial_platform

SHANGHAI = ZoneInfo("Asia/Shanghai")
FLY_ASH = "SW02"
UTILIZATION = reverse("api:utilization-list")
DASHBOARD = reverse("reporting:dashboard")


def D(value) -> Decimal:
    return Decimal(str(value))


def at(year, month, day):
    return datetime(year, month, day, 10, tzinfo=SHANGHAI)


def record(actor, facility, stage, quantity, when, method=None):
    return ledger.record(
        actor=actor, facility=facility, code=FLY_ASH, stage=stage, quantity=quantity, when=when, method=method
    )


def book(actor, facility, stage, quantity, when, method=None):
    return ledger.book(
        actor=actor, facility=facility, code=FLY_ASH, stage=stage, quantity=quantity, when=when, method=method
    )


def yard(enterprise, name="Ash yard"):
    return f.FacilityFactory(enterprise=enterprise, name=name, kind=FacilityKind.YARD, capacity_t=D("9999999999"))


def snapshot(subject_key, year, month):
    return UtilizationSnapshot.objects.get(
        subject_key=subject_key, year=year, month=month, waste_class="general", category_code=FLY_ASH
    )


def rates(row):
    return (row.utilization_rate_pct, row.utilization_disposal_rate_pct, row.rate_note)


@pytest.fixture
def park_b_as_usual(preparer_y, enterprise_y):
    """Y in park B, an ordinary February and March: 80 t of fly ash generated, 60 t utilized (75 %)."""
    y_yard = yard(enterprise_y)
    for month in (2, 3):
        record(preparer_y, y_yard, LedgerStage.GENERATED, 80, at(2025, month, 3))
        record(preparer_y, y_yard, LedgerStage.UTILIZED_IN_HOUSE, 60, at(2025, month, 4), "R5")


@pytest.fixture
def subjects(enterprise_x, enterprise_y, park_a, park_b):
    """The rows' subject keys by name: X and park A hold the odd month, Y and park B do not."""
    return {
        "x": f"enterprise:{enterprise_x.pk}",
        "y": f"enterprise:{enterprise_y.pk}",
        "park_a": f"park:{park_a.pk}",
        "park_b": f"park:{park_b.pk}",
        "province": "province:52",
    }


@pytest.fixture(
    params=[
        # The month: 1 t generated, 150,000 t utilized (15,000,000 %).
        ("150000", "1", "150000"),
        # A tenth of a kilogram generated, a billion tonnes utilized (10¹⁵ %: beyond the rate column too).
        ("1000000000", "0.0001", "1000000000"),
    ],
    ids=["1t-150000t", "0.0001t-1e9t"],
)
def absurd_february(request, preparer_x, enterprise_x, park_b_as_usual):
    """X generated `january` t in January (a slip of the keyboard, say) and in February generates
    `generated` t and utilizes `utilized` t: the year's utilization stays within its generation, so none
    of it is from prior storage, and February's rate is utilized / generated, far beyond 10,000 %."""
    january, generated, utilized = request.param
    x_yard = yard(enterprise_x)
    book(preparer_x, x_yard, LedgerStage.GENERATED, january, at(2025, 1, 10))
    book(preparer_x, x_yard, LedgerStage.GENERATED, generated, at(2025, 2, 10))
    book(preparer_x, x_yard, LedgerStage.UTILIZED_IN_HOUSE, utilized, at(2025, 2, 20), "R5")
    return {"generated": D(generated), "utilized": D(utilized)}


def test_an_absurd_month_recomputes_with_its_rate_withheld_and_the_other_park_computed(absurd_february, subjects):
    recompute_period(year=2025, month=1)
    recompute_period(year=2025, month=2)

    x = snapshot(subjects["x"], 2025, 2)
    assert (x.generated_t, x.utilized_t, x.utilized_from_prior_storage_t) == (
        absurd_february["generated"],
        absurd_february["utilized"],
        D(0),
    )
    assert rates(x) == (None, None, RateNote.RATE_BEYOND_BOUND)
    assert rates(snapshot(subjects["park_a"], 2025, 2)) == (None, None, RateNote.RATE_BEYOND_BOUND)
    # The province adds Y's 80 t generated to X's: still far beyond the bound.
    assert rates(snapshot(subjects["province"], 2025, 2)) == (None, None, RateNote.RATE_BEYOND_BOUND)
    # Park B, recomputed by the same statement, as usual: 60 / 80.
    for subject in ("y", "park_b"):
        assert rates(snapshot(subjects[subject], 2025, 2)) == (D("75.0000"), D("75.0000"), RateNote.NONE)


def test_one_parks_recompute_goes_through_an_absurd_month_in_its_province(absurd_february, subjects, park_b):
    recompute_period(year=2025, month=2)
    recompute_period(year=2025, month=2, park=park_b)
    assert rates(snapshot(subjects["park_b"], 2025, 2)) == (D("75.0000"), D("75.0000"), RateNote.NONE)
    assert snapshot(subjects["province"], 2025, 2).rate_note == RateNote.RATE_BEYOND_BOUND


def test_the_provincial_platform_reads_the_absurd_month_with_a_null_rate_and_the_reason(
    absurd_february, provincial_platform, enterprise_x, enterprise_y
):
    recompute_period(year=2025, month=1)
    recompute_period(year=2025, month=2)

    response = provincial_platform.get(UTILIZATION, {"period_from": "2025-02", "period_to": "2025-02"})

    assert response.status_code == 200
    rows = {(row["enterprise"], row["category_code"]): row for row in response.json()["results"] if row["enterprise"]}
    x = rows[(enterprise_x.pk, FLY_ASH)]
    assert (x["utilization_rate_pct"], x["utilization_disposal_rate_pct"], x["rate_pct"]) == (None, None, None)
    assert x["rate_note"] == "rate_beyond_bound"
    assert "above 10,000 %" in x["rate_note_text"]
    # The year to date adds January's generation: (generated in January and February) / utilized, ≤ 100 %.
    assert x["year_to_date"]["rate_note"] is None
    assert x["year_to_date"]["utilization_rate_pct"] is not None
    assert Decimal(x["year_to_date"]["utilization_rate_pct"]) <= 100
    y = rows[(enterprise_y.pk, FLY_ASH)]
    assert (y["utilization_rate_pct"], y["rate_note"], y["rate_note_text"]) == ("75.0000", None, None)


def test_an_officer_of_park_b_does_not_see_park_as_absurd_month(absurd_february, officer_b, park_a):
    recompute_period(year=2025, month=2)
    rows = session_of(officer_b).get(UTILIZATION, {"park": park_a.pk}).json()["results"]
    assert rows == []


@pytest.fixture
def quantities_beyond_the_columns(preparer_x, enterprise_x, park_b_as_usual):
    """X books 9,000,000,000 t into each of two yards in March: each yard's stock fits its column, the
    enterprise's month (18,000,000,000 t generated and in stock) does not."""
    first, second = yard(enterprise_x, "Ash yard 1"), yard(enterprise_x, "Ash yard 2")
    book(preparer_x, first, LedgerStage.GENERATED, "9000000000", at(2025, 3, 5))
    book(preparer_x, second, LedgerStage.GENERATED, "9000000000", at(2025, 3, 5))
    # Some utilization: a rate worked out from the clamped figures would look like a real one.
    book(preparer_x, first, LedgerStage.UTILIZED_IN_HOUSE, "3000000000", at(2025, 3, 9), "R5")


def test_quantities_beyond_a_figure_are_stored_at_its_limit_with_the_rates_withheld(
    quantities_beyond_the_columns, subjects, provincial_platform, enterprise_x
):
    recompute_period(year=2025, month=3)

    for subject in ("x", "park_a", "province"):
        row = snapshot(subjects[subject], 2025, 3)
        assert (row.generated_t, row.stored_end_t) == (TONNES_MAX, TONNES_MAX)
        assert rates(row) == (None, None, RateNote.FIGURES_OUT_OF_RANGE)
    assert rates(snapshot(subjects["park_b"], 2025, 3)) == (D("75.0000"), D("75.0000"), RateNote.NONE)

    # The API serves the row, and its windows withhold their rates too (a clamped month is in them).
    response = provincial_platform.get(
        UTILIZATION, {"scope": "enterprise", "enterprise": enterprise_x.pk, "category": FLY_ASH}
    )
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["generated_t"] == "9999999999.9999"
    assert (row["rate_note"], row["year_to_date"]["rate_note"], row["rolling_12_months"]["rate_note"]) == (
        "figures_out_of_range",
        "figures_out_of_range",
        "figures_out_of_range",
    )
    assert row["year_to_date"]["utilization_rate_pct"] is None
    assert row["rolling_12_months"]["rate_note_text"].startswith("A quantity of the period is outside")


def test_a_withdrawal_back_dated_before_its_generation_leaves_february_stock_at_zero_with_a_note(
    preparer_x, enterprise_x, subjects
):
    """X generates 5 t on 1 February and 10 t on 15 March, then books 12 t utilized back-dated to 20
    February (the stock on hand, 15 t, allows it): February ends at 5 − 12 = −7 t in the ledger. The row
    stores 0 with the note; its rates, which do not use the stock, are 12 / 5 = 240 % (nothing prior: no
    backlog)."""
    x_yard = yard(enterprise_x)
    record(preparer_x, x_yard, LedgerStage.GENERATED, 5, at(2025, 2, 1))
    record(preparer_x, x_yard, LedgerStage.GENERATED, 10, at(2025, 3, 15))
    record(preparer_x, x_yard, LedgerStage.UTILIZED_IN_HOUSE, 12, at(2025, 2, 20), "R5")

    recompute_period(year=2025, month=2)

    row = snapshot(subjects["x"], 2025, 2)
    assert row.stored_end_t == D(0)
    assert rates(row) == (D("240.0000"), D("240.0000"), RateNote.STOCK_OUT_OF_RANGE)
    assert "back-dated" in row.rate_note_text and row.rate_withheld_text == ""


def test_the_dashboard_shows_a_withheld_rate_as_not_applicable_with_the_reason(client, officer_a, park_a):
    """This month's row of park A as the recompute writes an absurd month: 1 t generated, 150,000 t
    utilized, the rate withheld. The month's table and the rolling 12 months (the same figures) say
    "n/a" with the reason instead of a number or a dash."""
    month = Period.containing()
    UtilizationSnapshot.objects.create(
        scope=SnapshotScope.PARK,
        park=park_a,
        province_code="52",
        subject_key=f"park:{park_a.pk}",
        year=month.year,
        month=month.month,
        month_index=month.first_index,
        waste_class="general",
        category_code="",
        generated_t=D(1),
        utilized_t=D(150000),
        disposed_t=D(0),
        stored_end_t=D(0),
        utilized_from_prior_storage_t=D(0),
        treated_from_prior_storage_t=D(0),
        rate_note=RateNote.RATE_BEYOND_BOUND,
        computed_at=timezone.now(),
    )
    client.force_login(officer_a)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    board = response.context["board"]
    general = next(row for row in board.this_month if row["waste_class"] == "general")
    assert general["rate"] is None and "above 10,000 %" in general["rate_note"]
    assert board.rolling_rate_pct is None and "above 10,000 %" in board.rolling_rate_note
    html = response.content.decode()
    assert html.count('data-testid="rate-na"') == 2
    assert "n/a" in html and "not a meaningful rate" in html
