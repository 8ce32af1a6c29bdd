"""Periods: the one value object for months, quarters, years and rolling windows, in the platform's zone.

Reports are filed per month, quarter or year; utilization rates are read over a month, the year to
date or the rolling twelve months; deadlines fall on local days. All of it is calendar arithmetic in
the zone of `settings.TIME_ZONE` (Asia/Shanghai: DESIGN 9), and all of it is here:

    Period.month_of(2026, 10)                   2026-10
    Period.quarter_of(2026, 4)                  2026-Q4 (October to December)
    Period.year_of(2026)                        2026
    Period.containing(now).previous()           last month
    Period.month_of(2026, 10).rolling(12)       2025-11 .. 2026-10
    Period.month_of(2026, 10).year_to_date()    2026-01 .. 2026-10

Snapshot tables key months by a `month_index` (year × 12 + month − 1), so a window is a range of
indexes: `period.first_index`, `period.last_index`.
"""

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_MONTH_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})")


def zone() -> ZoneInfo:
    """The zone periods and local days are counted in."""
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: datetime | None = None) -> date:
    """The local calendar day of `moment` (now by default)."""
    return timezone.localtime(moment or timezone.now(), zone()).date()


def day_start(day: date) -> datetime:
    """The first instant of a local day (aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone())


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


@dataclass(frozen=True, order=True)
class Period:
    """`length` consecutive calendar months starting with (`year`, `month`).

    A month has length 1, a quarter 3 (starting in January, April, July or October), a year 12
    (starting in January); a rolling window is any other run of months. Ordered by start, then length.
    """

    year: int
    month: int
    length: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not 1..12")
        if self.length < 1:
            raise ValueError(f"a period has at least one month, not {self.length}")

    # --- construction -----------------------------------------------------------------------------

    @classmethod
    def month_of(cls, year: int, month: int) -> "Period":
        return cls(year, month)

    @classmethod
    def parse_month(cls, text: str | None) -> "Period | None":
        """A month written YYYY-MM in ASCII digits ("2025-03", what a month picker sends), else None: the one
        reading of a month typed in a form, a query string or an API parameter. Each caller says in its own
        words what it refuses, and holds the month to its own window."""
        match = _MONTH_TEXT.fullmatch((text or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
            return None
        return cls.month_of(int(match.group(1)), int(match.group(2)))

    @classmethod
    def quarter_of(cls, year: int, quarter: int) -> "Period":
        if not 1 <= quarter <= 4:
            raise ValueError(f"quarter {quarter} is not 1..4")
        return cls(year, 3 * quarter - 2, 3)

    @classmethod
    def year_of(cls, year: int) -> "Period":
        return cls(year, 1, 12)

    @classmethod
    def from_index(cls, index: int, length: int = 1) -> "Period":
        """The period of `length` months starting at month index `index`."""
        return cls(index // 12, index % 12 + 1, length)

    @classmethod
    def containing(cls, moment: datetime | date | None = None) -> "Period":
        """The local month containing `moment` (now by default)."""
        if moment is None or isinstance(moment, datetime):
            moment = local_date(moment)
        return cls(moment.year, moment.month)

    # --- kind ---------------------------------------------------------------------------------------

    @property
    def is_month(self) -> bool:
        return self.length == 1

    @property
    def is_quarter(self) -> bool:
        return self.length == 3 and self.month % 3 == 1

    @property
    def is_year(self) -> bool:
        return self.length == 12 and self.month == 1

    @property
    def quarter(self) -> int:
        """The quarter (1..4) the period starts in."""
        return (self.month - 1) // 3 + 1

    def __str__(self) -> str:
        if self.is_month:
            return f"{self.year:04d}-{self.month:02d}"
        if self.is_quarter:
            return f"{self.year:04d}-Q{self.quarter}"
        if self.is_year:
            return f"{self.year:04d}"
        return f"{self.first} .. {self.last}"

    # --- month indexes and the months inside -----------------------------------------------------------

    @property
    def first_index(self) -> int:
        return month_index(self.year, self.month)

    @property
    def last_index(self) -> int:
        return self.first_index + self.length - 1

    @property
    def first(self) -> "Period":
        """The first month."""
        return Period(self.year, self.month)

    @property
    def last(self) -> "Period":
        """The last month."""
        return Period.from_index(self.last_index)

    def months(self) -> Iterator["Period"]:
        for index in range(self.first_index, self.last_index + 1):
            yield Period.from_index(index)

    def __contains__(self, other: "Period") -> bool:
        return self.first_index <= other.first_index and other.last_index <= self.last_index

    # --- windows ending with this period's last month ---------------------------------------------

    def rolling(self, months: int = 12) -> "Period":
        """The `months` months ending with this period's last month (the rolling window)."""
        return Period.from_index(self.last_index - months + 1, months)

    def year_to_date(self) -> "Period":
        """January of this period's last year up to its last month."""
        last = self.last
        return Period(last.year, 1, last.month)

    # --- stepping -----------------------------------------------------------------------------------

    def shift(self, count: int) -> "Period":
        """The period `count` lengths later (earlier when negative)."""
        return Period.from_index(self.first_index + count * self.length, self.length)

    def next(self) -> "Period":
        return self.shift(1)

    def previous(self) -> "Period":
        return self.shift(-1)

    # --- instants and days --------------------------------------------------------------------------

    @property
    def start(self) -> datetime:
        """The first instant of the period, local zone (aware)."""
        return datetime(self.year, self.month, 1, tzinfo=zone())

    @property
    def end(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return Period.from_index(self.last_index + 1).start

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        last = self.last
        return date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])

    def has_ended(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.end

    def deadline(self, day: int, *, months_after: int = 1) -> date:
        """Day `day` of the `months_after`-th month after the period (clamped to that month's length):
        the 15th of the next month by default; an annual report's 31 March is `deadline(31, months_after=3)`."""
        following = Period.from_index(self.last_index + months_after)
        return date(following.year, following.month, min(day, following.last_day.day))

    def days(self) -> Iterator[date]:
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)
