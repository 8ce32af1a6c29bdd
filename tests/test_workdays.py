"""Working days follow the State Council's holiday arrangements, make-up working days included, and a day
the installed calendar does not cover fails loudly instead of falling back to Monday to Friday.

The deadlines below are the receipt-confirmation deadlines of a receiver (Transfer Measures art. 18: five
working days, counted from the day after the day of receipt), read off the published arrangements.
"""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from wasteparks import workdays
from wasteparks.management.commands import check_workdays
from wasteparks.workdays import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarNotCovered,
    add_working_days,
    coverage_problem,
    is_working_day,
    subtract_working_days,
)


def confirm_by(received_on: date) -> date:
    return add_working_days(received_on, 5)


# --- 2024 -----------------------------------------------------------------------------------------


def test_a_receiver_taking_a_load_on_the_friday_before_spring_festival_2024_confirms_after_the_holiday():
    # Holiday 10-17 February; Sunday 18 February is a make-up working day.
    assert not is_working_day(date(2024, 2, 12))  # a Monday of the holiday
    assert is_working_day(date(2024, 2, 18))  # a Sunday
    assert confirm_by(date(2024, 2, 9)) == date(2024, 2, 22)


def test_a_receiver_taking_a_load_before_national_day_2024_counts_the_make_up_sunday_and_skips_the_week():
    # Sunday 29 September is worked, 1-7 October are not.
    assert confirm_by(date(2024, 9, 28)) == date(2024, 10, 10)


# --- 2025 -----------------------------------------------------------------------------------------


def test_a_load_received_on_the_make_up_sunday_before_spring_festival_2025_is_due_on_the_make_up_saturday():
    # 26 January (a Sunday) and 8 February (a Saturday) are worked; 28 January to 4 February are not.
    assert is_working_day(date(2025, 1, 26)) and is_working_day(date(2025, 2, 8))
    assert all(not is_working_day(date(2025, 1, 28) + timedelta(days=n)) for n in range(8))
    assert confirm_by(date(2025, 1, 26)) == date(2025, 2, 8)


def test_a_make_up_saturday_brings_a_receivers_deadline_a_day_forward():
    # Monday to Friday alone would give Friday 14 February.
    assert confirm_by(date(2025, 2, 7)) == date(2025, 2, 13)


def test_a_receiver_taking_a_load_before_national_day_2025_confirms_by_the_friday_after():
    # Sunday 28 September is worked, 1-8 October (with Mid-Autumn) are not.
    assert confirm_by(date(2025, 9, 26)) == date(2025, 10, 10)


def test_a_load_received_on_a_public_holiday_counts_from_the_next_day_as_any_other():
    # Received on 3 October 2025; Saturday 11 October is a make-up working day.
    assert confirm_by(date(2025, 10, 3)) == date(2025, 10, 14)


def test_the_count_crosses_into_the_next_year_with_its_new_years_holiday_and_make_up_sunday():
    # 1-3 January 2026 are off; Sunday 4 January is worked.
    assert confirm_by(date(2025, 12, 31)) == date(2026, 1, 8)


# --- 2026 -----------------------------------------------------------------------------------------


def test_a_receiver_taking_a_load_before_spring_festival_2026_confirms_two_weeks_later():
    # Saturday 14 February is worked, 15-23 February are not.
    assert confirm_by(date(2026, 2, 13)) == date(2026, 2, 27)


def test_a_receiver_taking_a_load_on_the_eve_of_national_day_2026_confirms_after_the_make_up_saturday():
    # 1-7 October are off; Saturday 10 October is worked.
    assert confirm_by(date(2026, 9, 30)) == date(2026, 10, 13)


# --- counting back --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 5, 10])
def test_counting_back_finds_exactly_the_first_start_whose_period_is_not_over(count):
    """`subtract_working_days(today, n)` is the earliest start day whose n-th working day after is today or
    later, on every day of 2024 to 2026 (what the overdue rule's cutoff relies on)."""
    today = date(2024, 2, 1)
    while today.year <= min(2026, LAST_YEAR):
        first_in_time = subtract_working_days(today, count)
        assert add_working_days(first_in_time, count) >= today
        assert add_working_days(first_in_time - timedelta(days=1), count) < today
        today += timedelta(days=1)


# --- outside the calendar -------------------------------------------------------------------------


def test_a_day_after_the_calendars_last_year_fails_loudly_naming_the_year_and_the_package():
    with pytest.raises(CalendarNotCovered) as raised:
        is_working_day(date(LAST_YEAR + 1, 3, 2))
    assert raised.value.year == LAST_YEAR + 1
    message = str(raised.value)
    assert str(LAST_YEAR + 1) in message and "chinesecalendar" in message and "update" in message


def test_a_deadline_running_past_the_calendar_fails_instead_of_counting_weekdays():
    with pytest.raises(CalendarNotCovered):
        add_working_days(date(LAST_YEAR, 12, 31), 1)


def test_a_day_before_the_calendars_first_year_fails_loudly_too():
    with pytest.raises(CalendarNotCovered, match=str(FIRST_YEAR - 1)):
        subtract_working_days(date(FIRST_YEAR, 1, 2), 5)


def test_the_calendar_covers_every_year_the_deadlines_here_are_counted_in():
    assert FIRST_YEAR <= 2024 and LAST_YEAR >= 2026


# --- the coverage check ---------------------------------------------------------------------------


def test_coverage_is_enough_while_the_next_month_is_still_in_the_calendars_last_year():
    assert coverage_problem(date(LAST_YEAR, 11, 30)) is None


def test_coverage_is_missing_a_month_before_the_calendar_runs_out():
    problem = coverage_problem(date(LAST_YEAR, 12, 1))
    assert problem is not None and str(LAST_YEAR + 1) in problem


def test_the_operators_check_passes_on_a_covered_day(monkeypatch, capsys):
    monkeypatch.setattr(check_workdays, "local_date", lambda: date(LAST_YEAR, 6, 1))
    call_command("check_workdays")
    assert f"covers {FIRST_YEAR} to {LAST_YEAR}" in capsys.readouterr().out


def test_the_operators_check_fails_with_the_missing_year_a_month_ahead(monkeypatch, capsys):
    monkeypatch.setattr(check_workdays, "local_date", lambda: date(LAST_YEAR, 12, 15))
    with pytest.raises(SystemExit) as exited:
        call_command("check_workdays")
    assert exited.value.code == 1
    assert f"not {LAST_YEAR + 1}" in capsys.readouterr().err


def test_no_other_module_counts_working_days_by_the_day_of_the_week():
    from pathlib import Path

    root = Path(workdays.__file__).resolve().parent.parent
    found = [
        str(path.relative_to(root))
        for app in ("registry", "transfers", "reporting", "wasteparks")
        for path in (root / app).rglob("*.py")
        if ".weekday()" in path.read_text(encoding="utf-8") or ".isoweekday()" in path.read_text(encoding="utf-8")
    ]
    assert found == []
