"""The one period value object: months, quarters, years and rolling windows in the platform's zone."""

from datetime import UTC, date, datetime

import pytest

from wasteparks.periods import Period, day_start, local_date


def test_a_month_knows_its_bounds_in_shanghai():
    october = Period.month_of(2026, 10)
    assert str(october) == "2026-10"
    assert october.start.isoformat() == "2026-10-01T00:00:00+08:00"
    assert october.end == Period.month_of(2026, 11).start
    assert october.last_day == date(2026, 10, 31)


def test_the_instant_just_before_local_midnight_belongs_to_the_previous_month():
    # 2026-10-31 16:00 UTC is 2026-11-01 00:00 in Shanghai.
    assert Period.containing(datetime(2026, 10, 31, 15, 59, tzinfo=UTC)) == Period.month_of(2026, 10)
    assert Period.containing(datetime(2026, 10, 31, 16, 0, tzinfo=UTC)) == Period.month_of(2026, 11)
    assert local_date(datetime(2026, 10, 31, 16, 0, tzinfo=UTC)) == date(2026, 11, 1)
    assert day_start(date(2026, 11, 1)) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


def test_stepping_crosses_years_both_ways():
    assert Period.month_of(2026, 1).previous() == Period.month_of(2025, 12)
    assert Period.month_of(2025, 12).next() == Period.month_of(2026, 1)
    assert Period.month_of(2026, 3).shift(-15) == Period.month_of(2024, 12)


def test_a_quarter_and_a_year_step_by_their_own_length():
    q4 = Period.quarter_of(2026, 4)
    assert str(q4) == "2026-Q4"
    assert q4.next() == Period.quarter_of(2027, 1)
    assert q4.last_day == date(2026, 12, 31)
    assert Period.year_of(2026).previous() == Period.year_of(2025)
    assert str(Period.year_of(2026)) == "2026"


def test_the_rolling_window_is_the_twelve_months_ending_with_the_month():
    window = Period.month_of(2026, 10).rolling(12)
    assert window.first == Period.month_of(2025, 11)
    assert window.last == Period.month_of(2026, 10)
    assert window.last_index - window.first_index == 11
    assert len(list(window.months())) == 12


def test_year_to_date_starts_in_january_of_the_same_year():
    ytd = Period.month_of(2026, 10).year_to_date()
    assert ytd.first == Period.month_of(2026, 1)
    assert ytd.length == 10


def test_a_deadline_day_is_clamped_to_the_following_months_length():
    assert Period.month_of(2026, 1).deadline(31) == date(2026, 2, 28)
    assert Period.month_of(2026, 10).deadline(15) == date(2026, 11, 15)
    assert Period.quarter_of(2026, 4).deadline(15) == date(2027, 1, 15)


def test_month_index_round_trips():
    period = Period.month_of(2024, 2)
    assert Period.from_index(period.first_index) == period


@pytest.mark.parametrize("args", [(2026, 0), (2026, 13)])
def test_a_month_outside_one_to_twelve_is_refused(args):
    with pytest.raises(ValueError):
        Period.month_of(*args)


def test_a_quarter_outside_one_to_four_is_refused():
    with pytest.raises(ValueError):
        Period.quarter_of(2026, 5)
