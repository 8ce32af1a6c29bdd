"""The pages' date filters (wasteparks/templatetags/dates.py) write what Django's `date` filter writes for
the formats they replace, in every time zone, for every kind of value a template may hand them."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.template import Context, Template
from django.utils import timezone as django_timezone

ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Asia/Kolkata"]
VALUES = [
    date(2026, 3, 8),
    date(999, 1, 2),  # a year of fewer than four digits is still written with four
    datetime(2026, 3, 8, 15, 59, 59, 999_999, tzinfo=UTC),  # 23:59 in Shanghai, 11:59 in New York
    datetime(2026, 12, 31, 16, 0, tzinfo=UTC),  # the next day, and the next year, in Shanghai
    datetime(2026, 3, 8, 1, 2, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 3, 8, 1, 2),  # naive: written as it is
    None,
    "",
    "2026-03-08",  # text is not a date: nothing, as Django writes
    42,
]


def rendered(source: str, value) -> str:
    return Template(source).render(Context({"value": value}))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_an_officer_reads_the_same_day_and_minute_as_djangos_date_filter_wrote(settings, zone, value):
    settings.TIME_ZONE = zone
    with django_timezone.override(zone):
        assert rendered("{{ value|ymd }}", value) == rendered('{{ value|date:"Y-m-d" }}', value)
        if isinstance(value, date) and not isinstance(value, datetime):
            # A day has no minute: Django's filter fails the page; this one writes nothing.
            assert rendered("{{ value|ymd_hm }}", value) == ""
        else:
            assert rendered("{{ value|ymd_hm }}", value) == rendered('{{ value|date:"Y-m-d H:i" }}', value)


def test_a_missing_time_falls_back_to_the_pages_placeholder():
    assert rendered('{{ value|ymd_hm|default:"—" }}', None) == "—"
