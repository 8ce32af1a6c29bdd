"""Date windows: the range each kind of date may take, and the check that finds stored rows outside."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from registry.models import Permit
from tests import factories as f
from wasteparks.bounds import EVENT, PLAN, VALIDITY
from wasteparks.management.commands.check_dates import rows_outside_window

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def test_an_event_a_few_minutes_ahead_is_clock_skew_but_an_hour_ahead_is_refused():
    assert EVENT.problem(NOW + timedelta(minutes=9), now=NOW) is None
    assert "on or before" in EVENT.problem(NOW + timedelta(hours=1), now=NOW)


def test_year_one_in_shanghai_is_refused_without_an_overflow():
    moment = datetime(1, 1, 1, tzinfo=UTC)
    assert "2000-01-01" in EVENT.problem(moment, now=NOW)


def test_a_planned_date_may_be_a_year_ahead_not_more():
    assert PLAN.problem(date(2027, 11, 30), now=NOW) is None
    assert PLAN.problem(date(2028, 1, 1), now=NOW)
    assert PLAN.problem(date(1999, 12, 31), now=NOW)


def test_the_window_is_a_django_validator():
    with pytest.raises(ValidationError) as refused:
        VALIDITY(date(9999, 12, 31))
    assert refused.value.code == "out_of_window"
    VALIDITY(date(2030, 1, 1))


def test_a_naive_time_is_refused():
    assert EVENT.problem(datetime(2026, 1, 1, 8, 0), now=NOW)


@pytest.mark.django_db
def test_check_dates_finds_exactly_the_rows_outside_the_window(enterprise_x):
    good = f.PermitFactory(enterprise=enterprise_x)
    bad = f.PermitFactory(enterprise=enterprise_x)
    Permit.objects.filter(pk=bad.pk).update(valid_to=date(9999, 12, 31))
    found = rows_outside_window()
    assert ("registry.Permit", "valid_to", [bad.pk]) in found
    assert all(good.pk not in keys for label, _, keys in found if label == "registry.Permit")
    with pytest.raises(SystemExit):
        call_command("check_dates")
