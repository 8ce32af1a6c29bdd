"""Dates and times on pages, one way everywhere (a built-in library: no {% load %} needed).

`{{ manifest.planned_date|ymd }}` writes 2026-03-08 and `{{ manifest.submitted_at|ymd_hm }}` writes
2026-03-08 14:59, in the current time zone, as Django's `date:"Y-m-d"` and `date:"Y-m-d H:i"` do: the same
digits, the same empty text for None or a value that is not a date. They write the digits directly,
where Django's `date` filter parses its format on every call (a list of 50 rows calls it 100 times).
"""

from datetime import date, datetime

from django import template

register = template.Library()


@register.filter(expects_localtime=True)
def ymd(value) -> str:
    if not isinstance(value, date):
        return ""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


@register.filter(expects_localtime=True)
def ymd_hm(value) -> str:
    if not isinstance(value, datetime):
        return ""  # a date has no time of day: Django's filter writes nothing for it too
    return f"{ymd(value)} {value.hour:02d}:{value.minute:02d}"
