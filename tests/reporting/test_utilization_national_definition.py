"""The utilization rate counts as the national statistics do (DESIGN 5.6, the docstring of
reporting/services/utilization.py): 综合利用率 = 综合利用量 / (产生量 + 综合利用往年贮存量), the year's own
generation credited first, prior years' storage only for what the year utilizes beyond it.

Coal mine X (park A) runs the same coal gangue (SW04) flows two years running: every month of 2024 and
2025 it generates 50,000 t, utilizes 34,435 t in house (brick kiln, R5) and puts 15,565 t on its yard.
By hand, each year: generated 600,000 t, utilized 413,220 t, stored 186,780 t.
  2024: 413,220 / 600,000 = 68.8700 %.
  2025: the year utilizes less than it generates at every month end, so nothing is from prior storage
        although 186,780 t of 2024 lie on the yard: 413,220 / 600,000 = 68.8700 % again, and every month
        34,435 / 50,000 = 68.8700 %.
The former "backlog first" rule credited the 186,780 t of 2024 first and gave 2025
413,220 / (600,000 + 186,780) = 52.5204 % (the 52.52 % against 68.87 % of the issue: these flows are the
only ones with nothing disposed of that give both figures, since 68.87 / (2 − 0.6887) = 52.52).
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from registry.models import FacilityKind
from reporting.models import UtilizationSnapshot, rates_of
from reporting.services.utilization import recompute_period
from tests import factories as f
from tests.fixtures import reports as ledger
from transfers.models import LedgerStage
from wasteparks.periods import Period

SHANGHAI = ZoneInfo("Asia/Shanghai")
GANGUE = "SW04"


def at(year, month, day):
    return datetime(year, month, day, 10, tzinfo=SHANGHAI)


def record(actor, facility, stage, quantity, when, method=None):
    return ledger.record(
        actor=actor, facility=facility, code=GANGUE, stage=stage, quantity=quantity, when=when, method=method
    )


def book(actor, facility, stage, quantity, when, method=None):
    return ledger.book(
        actor=actor, facility=facility, code=GANGUE, stage=stage, quantity=quantity, when=when, method=method
    )


def yard(enterprise, capacity="500000000"):
    return f.FacilityFactory(enterprise=enterprise, name="Gangue yard", kind=FacilityKind.YARD, capacity_t=capacity)


def gangue_totals(subject_key: str, window: Period) -> dict:
    """The window's totals of the subject's coal gangue rows, with their rates."""
    totals = (
        UtilizationSnapshot.objects.filter(subject_key=subject_key, waste_class="general", category_code="SW04")
        .window_totals(window, "subject_key")
        .get()
    )
    totals["utilization_rate_pct"], _ = rates_of(totals)
    return totals


@pytest.fixture
def two_identical_years(preparer_x, enterprise_x):
    gangue_yard = yard(enterprise_x, capacity="1000000")
    months = list(Period(2024, 1, 24).months())
    for month in months:
        record(preparer_x, gangue_yard, LedgerStage.GENERATED, "50000", at(month.year, month.month, 5))
        record(preparer_x, gangue_yard, LedgerStage.UTILIZED_IN_HOUSE, "34435", at(month.year, month.month, 20), "R5")
    for month in months:
        recompute_period(year=month.year, month=month.month)
    return f"enterprise:{enterprise_x.pk}"


def test_a_coal_mine_with_identical_flows_two_years_running_has_the_same_rate_both_years(two_identical_years):
    first, second = (gangue_totals(two_identical_years, Period.year_of(year)) for year in (2024, 2025))

    for year in (first, second):
        assert (year["generated_t"], year["utilized_t"], year["utilized_from_prior_storage_t"]) == (
            Decimal("600000"),
            Decimal("413220"),
            Decimal("0"),
        )
        assert year["utilization_rate_pct"] == Decimal("68.8700")
    # 186,780 t stored in each year, and all of it still on the yard.
    assert second["stored_end_t"] == Decimal("373560")
    rates = set(
        UtilizationSnapshot.objects.filter(
            subject_key=two_identical_years, category_code="SW04", year=2025
        ).values_list("utilization_rate_pct", flat=True)
    )
    assert rates == {Decimal("68.8700")}


def test_a_rolling_year_across_the_two_years_has_the_same_rate_too(two_identical_years):
    rolling = gangue_totals(two_identical_years, Period.month_of(2025, 6).rolling(12))
    assert (rolling["generated_t"], rolling["utilized_t"]) == (Decimal("600000"), Decimal("413220"))
    assert rolling["utilization_rate_pct"] == Decimal("68.8700")


def test_the_published_2018_coal_gangue_figures_come_out_of_per_enterprise_crediting(
    preparer_x, enterprise_x, preparer_y, enterprise_y
):
    """Coal gangue of the key surveyed enterprises, 2018 (published with the ministry's annual report on
    solid waste): 3.5 亿 t generated, 1.9 亿 t utilized of which 380.8 万 t from prior years' storage,
    53.7 %. The nation utilized far less than it generated, yet some utilization came from prior
    storage: the crediting is per enterprise, then added up. At national magnitude, in one month:
      X (park A) generates 346,192,000 t and utilizes 182,384,000 t: within its generation, none prior.
      Y (park B) has 3,808,000 t on its yard from 2017, generates 3,808,000 t and utilizes 7,616,000 t:
        3,808,000 t beyond its generation, all from prior storage (its backlog is 3,808,000 t).
    The province (their sum): generated 350,000,000 t, utilized 190,000,000 t, 3,808,000 t prior;
    190,000,000 / 353,808,000 = 53.7014 %, the published 53.7 % (published to 0.1 point). The published
    totals are reproduced exactly; the split between the two enterprises is ours."""
    x_yard, y_yard = yard(enterprise_x), yard(enterprise_y)
    book(preparer_y, y_yard, LedgerStage.GENERATED, "3808000", at(2017, 11, 10))
    book(preparer_x, x_yard, LedgerStage.GENERATED, "346192000", at(2018, 6, 10))
    book(preparer_x, x_yard, LedgerStage.UTILIZED_IN_HOUSE, "182384000", at(2018, 6, 20), "R5")
    book(preparer_y, y_yard, LedgerStage.GENERATED, "3808000", at(2018, 6, 10))
    book(preparer_y, y_yard, LedgerStage.UTILIZED_IN_HOUSE, "7616000", at(2018, 6, 20), "R5")

    recompute_period(year=2018, month=6)

    province = UtilizationSnapshot.objects.get(
        subject_key="province:52", year=2018, month=6, waste_class="general", category_code="SW04"
    )
    assert (province.generated_t, province.utilized_t, province.utilized_from_prior_storage_t) == (
        Decimal("350000000"),
        Decimal("190000000"),
        Decimal("3808000"),
    )
    assert province.utilization_rate_pct == Decimal("53.7014")
    assert round(province.utilization_rate_pct, 1) == Decimal("53.7")
    y = UtilizationSnapshot.objects.get(
        subject_key=f"enterprise:{enterprise_y.pk}", year=2018, month=6, category_code="SW04"
    )
    assert (y.utilized_from_prior_storage_t, y.utilization_rate_pct) == (Decimal("3808000"), Decimal("100.0000"))
