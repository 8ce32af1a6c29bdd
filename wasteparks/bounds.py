"""Date windows: the range of days and instants each kind of date may take, checked at every edge.

Python, Django and PostgreSQL each accept dates far outside anything the platform could mean (year 1,
year 9999), and some of those cannot even be read back in another zone: a ledger entry at
0001-01-01T00:00 in Asia/Shanghai is a year-1 BC instant in UTC, and every page and sync that reads the
row fails. So each date a user or a client types is held to a window, refused with a field message and
the error shape, and nothing is written:

| window        | from       | to                         | for                                              |
|---------------|------------|----------------------------|--------------------------------------------------|
| EVENT         | 2000-01-01 | now (10 minutes of skew)   | what happened: ledger entries, inspection visits |
| PLAN          | 2000-01-01 | one year ahead             | planned dates, revisions, report months          |
| DEADLINE      | 2000-01-01 | five years ahead           | rectification deadlines                          |
| VALIDITY      | 2000-01-01 | twenty years ahead         | permits and approvals: valid from / valid to     |

`manage.py check_dates` lists rows already stored outside the outer window (before 2000 or more than
twenty years ahead), for a database filled before these checks existed.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from .periods import day_start, local_date

EARLIEST_DAY = date(2000, 1, 1)


@deconstructible
@dataclass
class DateWindow:
    """From EARLIEST_DAY to `ahead` after now. Callable as a Django validator on a date or an aware
    date-time; `problem(value)` says what is wrong, for services that raise their own error."""

    name: str
    ahead: timedelta

    def latest_instant(self, now: datetime | None = None) -> datetime:
        return (now or timezone.now()) + self.ahead

    def latest_day(self, now: datetime | None = None) -> date:
        return local_date(self.latest_instant(now))

    def problem(self, value: date | datetime | None, now: datetime | None = None) -> str | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            if timezone.is_naive(value):
                return str(_("Give the time with its offset (e.g. +08:00)."))
            try:
                too_early = value < day_start(EARLIEST_DAY)
            except OverflowError:
                too_early = True
            latest = self.latest_instant(now)
            too_late = not too_early and value > latest
            shown_latest: object = timezone.localtime(latest).strftime("%Y-%m-%d %H:%M")
        else:
            too_early = value < EARLIEST_DAY
            latest_day = self.latest_day(now)
            too_late = value > latest_day
            shown_latest = latest_day.isoformat()
        if too_early:
            return str(_("Must be on or after %(earliest)s.") % {"earliest": EARLIEST_DAY.isoformat()})
        if too_late:
            return str(_("Must be on or before %(latest)s.") % {"latest": shown_latest})
        return None

    def __call__(self, value) -> None:
        message = self.problem(value)
        if message:
            raise ValidationError(message, code="out_of_window")


EVENT = DateWindow("event", timedelta(minutes=10))
PLAN = DateWindow("plan", timedelta(days=366))
DEADLINE = DateWindow("deadline", timedelta(days=5 * 366))
VALIDITY = DateWindow("validity", timedelta(days=20 * 366))
# What `check_dates` looks for in stored rows: outside every window.
OUTER = VALIDITY
