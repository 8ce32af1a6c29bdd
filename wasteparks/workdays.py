"""Working days: the State Council's holiday arrangements, public holidays and make-up working days (调休)
alike, read from the maintained `chinesecalendar` package.

A working day is Monday to Friday unless the year's arrangement makes it a holiday, or a Saturday or
Sunday it makes a working day (2025-01-26, a Sunday, was one). Every deadline counted in working days is
counted here, and nowhere else.

What starts and ends the receipt-confirmation count. The Measures for the Administration of Hazardous
Waste Transfer (危险废物转移管理办法, Ministry of Ecology and Environment, Ministry of Public Security and
Ministry of Transport order No. 23, in force since 2022-01-01), article 18: "接受人应当对运抵的危险废物
进行核实验收，并在接受之日起五个工作日内通过信息系统确认接受" — the receiver checks the waste that
arrived and, within five working days from the day it accepted the load, confirms the acceptance in the
information system (article 12(2): whether it accepts, the utilization or disposal method and the quantity
accepted). So the count starts on the day of receipt (in the platform, the local day of the receiver's
receipt signature, `received_at`) and ends when the receiver confirms (records the treatment: the
manifest is completed). The Measures do not say whether the day of receipt itself counts; the general
rule of the Civil Code applies: article 201, a period counted in days does not count the day it starts
on and runs from the next day; article 203, its last day ends at 24:00. Hence `add_working_days(day,
5)`: the fifth working day after the day of receipt is the last day to confirm, and the load is overdue
from the next day on. (A load received on 2025-01-26 is due on 2025-02-08, a make-up Saturday, and
overdue from 2025-02-09.) Article 20 (a paper manifest is entered in the system within ten working days
after the transfer) and articles 23–26 (the provincial departments' own working-day limits) describe
steps the platform does not record.

A day outside the years the installed package covers raises `CalendarNotCovered`, naming the year: the
package has to be updated (requirements.txt) once the State Council publishes the next year's
arrangement (late October or November of the year before). There is never a Monday-to-Friday fallback:
a guessed deadline raises false warnings around every holiday. What the warnings do meanwhile: the overdue-manifest rule
(reporting/warnings/manifests.py) logs an ERROR and skips the receipt-confirmation check of that run,
leaving its live warnings as they are (none raised on a guess, none closed for want of a count); its
in-transit check runs as usual. `manage.py check_workdays` fails while the calendar does not cover the
current year and the next month, which gives a month's notice before that happens.
"""

from datetime import date, timedelta

# chinesecalendar ships no type information.
import chinese_calendar  # type: ignore[import-untyped]

FIRST_YEAR = min(chinese_calendar.holidays).year
LAST_YEAR = max(chinese_calendar.holidays).year


class CalendarNotCovered(RuntimeError):
    """A day in a year the installed holiday calendar does not cover."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"The holiday calendar (chinesecalendar {chinese_calendar.__version__}) covers {FIRST_YEAR} to "
            f"{LAST_YEAR}, not {year}: update the chinesecalendar package (requirements.txt) to a release with "
            f"the State Council's {year} holiday arrangements."
        )


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day: a weekday that is no public holiday, or a make-up working day."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarNotCovered(day.year)
    return chinese_calendar.is_workday(day)


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day` (`day` itself is not counted): the last day of a period of
    `count` working days that starts on `day`."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def subtract_working_days(day: date, count: int) -> date:
    """The `count`-th working day before `day` (`day` itself is not counted). A period of `count` working
    days that started before this day is over by `day`; one that started on it or later is not:
    `add_working_days(start, count) < day` exactly when `start < subtract_working_days(day, count)`. It
    reads only days before `day`, so asking on a day the calendar covers up to yesterday is enough."""
    while count > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def uncovered_year(today: date) -> int | None:
    """The first year the calendar lacks among the current year and the next month's (None when it lacks
    neither): what the platform needs before its working-day counts reach it."""
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    for needed in (today.year, next_month.year):
        if not FIRST_YEAR <= needed <= LAST_YEAR:
            return needed
    return None


def coverage_problem(today: date) -> str | None:
    """What is missing for the calendar to count the working days of the current year and the next month
    (None when nothing is)."""
    year = uncovered_year(today)
    return None if year is None else str(CalendarNotCovered(year))
