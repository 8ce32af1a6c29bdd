"""Warning thresholds per province and park: the settings are the defaults, a province's value and a
park's override take their place in the rules, only the province's officers change them (with a reason
kept in the history), and bad values are refused with nothing written."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from registry.models import Division
from reporting.models import ThresholdKey, Warning, WarningThreshold
from reporting.warnings import RULES_BY_CODE, run_rules
from reporting.warnings.thresholds import ParkThresholds, set_threshold, thresholds_for
from tests import factories as f
from tests.transfers.factories import generate
from transfers.models import Manifest
from wasteparks.errors import NotPermitted, RuleViolation

D = Decimal
K = ThresholdKey


def page(park):
    return reverse("reporting:threshold_park", args=[park.pk])


def change(level="park", key=K.TRANSIT_DAYS, value="2", reason="Short haul roads in this park"):
    return {"level": level, "key": key, "value": value, "reason": reason}


def scan(code):
    return run_rules(rules=(RULES_BY_CODE[code],))


@pytest.fixture
def provincial_yunnan(catalogue):
    """A provincial officer of Yunnan (53), another province than parks A and B (Guizhou, 52)."""
    Division.objects.get_or_create(
        code="53", defaults={"name_zh": "云南省", "name_en": "Yunnan", "province_code": "53"}
    )
    return f.provincial_officer(f.UserFactory(username="provincial_yn"), "53")


# --- values in force ------------------------------------------------------------------------------


def test_the_settings_apply_until_the_province_or_the_park_sets_a_value(park_a, park_b, provincial, settings):
    settings.WARNING_TRANSIT_DAYS = 3
    assert thresholds_for(park_a)[K.TRANSIT_DAYS] == 3

    set_threshold(actor=provincial, key=K.TRANSIT_DAYS, value=D("4"), reason="Mountain roads", province_code="52")
    assert thresholds_for(park_a)[K.TRANSIT_DAYS] == 4
    assert thresholds_for(park_b)[K.TRANSIT_DAYS] == 4

    set_threshold(actor=provincial, key=K.TRANSIT_DAYS, value=D("2"), reason="Short roads", park=park_a)
    assert thresholds_for(park_a)[K.TRANSIT_DAYS] == 2
    assert {t.key: t.source for t in thresholds_for(park_a)}[K.TRANSIT_DAYS] == "park"
    assert thresholds_for(park_b)[K.TRANSIT_DAYS] == 4

    set_threshold(actor=provincial, key=K.TRANSIT_DAYS, value=None, reason="Back to the province", park=park_a)
    assert thresholds_for(park_a)[K.TRANSIT_DAYS] == 4


def test_every_parks_thresholds_are_read_in_one_query(park_a, park_b, provincial, django_assert_num_queries):
    set_threshold(actor=provincial, key=K.QUANTITY_TOLERANCE, value=D("0.1"), reason="Bulk loads", park=park_b)
    with django_assert_num_queries(1):
        table = ParkThresholds.load()
    assert table.for_park(park_a.pk)[K.QUANTITY_TOLERANCE] == D("0.05")
    assert table.for_park(park_b.pk)[K.QUANTITY_TOLERANCE] == D("0.1")
    assert table.largest(K.QUANTITY_TOLERANCE) == D("0.1")


# --- the rules ------------------------------------------------------------------------------------


def test_a_stricter_park_override_raises_a_warning_the_default_would_not(hazardous_draft, advance, provincial):
    manifest = advance(hazardous_draft, "in_transit")
    Manifest.objects.filter(pk=manifest.pk).update(picked_up_at=timezone.now() - timedelta(days=2))
    scan("MANIFEST_OVERDUE")
    assert not Warning.objects.live().filter(rule="MANIFEST_OVERDUE").exists()  # 2 days < the default 3

    set_threshold(actor=provincial, key=K.TRANSIT_DAYS, value=D("1"), reason="Short haul", park=manifest.consignor.park)
    scan("MANIFEST_OVERDUE")
    [warning] = Warning.objects.live().filter(rule="MANIFEST_OVERDUE")
    assert warning.evidence["limit_days"] == 1
    assert "limit 1 days" in warning.message_en


def test_a_looser_park_override_closes_the_warning_and_other_parks_keep_the_province_value(
    preparer_x, x_store, park_a, park_b, provincial
):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="460")  # 92 % of 500 t
    scan("STORAGE_OVER_CAPACITY")
    [warning] = Warning.objects.live().filter(rule="STORAGE_OVER_CAPACITY")

    set_threshold(
        actor=provincial, key=K.FACILITY_FILL_WARNING_PCT, value=D("85"), reason="Tighter", province_code="52"
    )
    set_threshold(actor=provincial, key=K.FACILITY_FILL_WARNING_PCT, value=D("95"), reason="Large yard", park=park_a)
    scan("STORAGE_OVER_CAPACITY")
    warning.refresh_from_db()
    assert warning.status == "resolved" and warning.closed_reason == "auto"
    assert thresholds_for(park_b)[K.FACILITY_FILL_WARNING_PCT] == 85


# --- who may see and change -----------------------------------------------------------------------


def test_a_provincial_officer_changes_a_park_override_with_a_reason_kept_in_the_history(client, provincial, park_a):
    client.force_login(provincial)
    response = client.post(page(park_a), change())
    assert response.status_code == 302
    row = WarningThreshold.objects.get(park=park_a, key=K.TRANSIT_DAYS)
    assert row.value == 2
    record = row.history.get()
    assert (record.history_user, record.history_change_reason) == (provincial, "Short haul roads in this park")

    response = client.get(page(park_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Short haul roads in this park" in html and 'data-testid="threshold-change"' in html


def test_a_provincial_officer_sets_the_province_value_for_every_park(client, provincial, park_a, park_b):
    client.force_login(provincial)
    assert client.post(page(park_a), change(level="province", value="5")).status_code == 302
    assert WarningThreshold.objects.get(province_code="52", key=K.TRANSIT_DAYS).value == 5
    assert thresholds_for(park_b)[K.TRANSIT_DAYS] == 5


def test_a_provincial_officer_of_another_province_gets_404(client, provincial_yunnan, park_a):
    client.force_login(provincial_yunnan)
    assert client.get(page(park_a)).status_code == 404
    assert client.post(page(park_a), change()).status_code == 404
    assert not WarningThreshold.objects.exists()
    assert park_a.name not in client.get(reverse("reporting:threshold_list")).content.decode()
    with pytest.raises(NotPermitted):
        set_threshold(actor=provincial_yunnan, key=K.TRANSIT_DAYS, value=D("2"), reason="x", province_code="52")


def test_a_park_officer_reads_their_park_only_and_changes_nothing(client, officer_a, park_a, park_b):
    client.force_login(officer_a)
    response = client.get(page(park_a))
    assert response.status_code == 200
    assert response.context["form"] is None and 'data-testid="read-only"' in response.content.decode()
    assert client.post(page(park_a), change()).status_code == 403
    assert client.get(page(park_b)).status_code == 404
    assert not WarningThreshold.objects.exists()
    listed = client.get(reverse("reporting:threshold_list")).content.decode()
    assert park_a.name in listed and park_b.name not in listed


def test_enterprise_users_are_turned_away(client, preparer_x, park_a):
    client.force_login(preparer_x)
    assert client.get(reverse("reporting:threshold_list")).status_code == 403
    assert client.get(page(park_a)).status_code == 403


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (change(value="three"), "value", "Enter a number."),
        (change(value="NaN"), "value", "Enter a number."),
        (change(value="0"), "value", "Enter a value from 1 to 60."),
        (change(value="2.5"), "value", "Enter a whole number."),
        (change(key=K.QUANTITY_TOLERANCE, value="0.9"), "value", "Enter a value from 0 to 0.5."),
        (change(key="not_a_threshold"), "key", "Select a valid choice."),
        (change(reason=" "), "reason", "This field is required."),
    ],
)
def test_bad_input_is_refused_with_a_field_message_and_nothing_written(
    client, provincial, park_a, data, field, message
):
    client.force_login(provincial)
    response = client.post(page(park_a), data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not WarningThreshold.objects.exists()
    assert not WarningThreshold.history.exists()


def test_a_storage_notice_beyond_the_limit_is_refused_in_every_park_it_would_reach(
    client, provincial, park_a, settings
):
    settings.WARNING_STORAGE_LIMIT_DAYS = 365
    client.force_login(provincial)
    response = client.post(page(park_a), change(key=K.STORAGE_NOTICE_DAYS, value="400"))
    assert response.status_code == 400
    assert "would exceed" in " ".join(response.context["form"].errors["value"])

    set_threshold(actor=provincial, key=K.STORAGE_LIMIT_DAYS, value=D("500"), reason="Pilot", park=park_a)
    set_threshold(actor=provincial, key=K.STORAGE_NOTICE_DAYS, value=D("450"), reason="Pilot", park=park_a)
    # The park's own notice (450) would then exceed the province's limit (400) once its own limit is removed.
    set_threshold(actor=provincial, key=K.STORAGE_LIMIT_DAYS, value=D("400"), reason="Province", province_code="52")
    with pytest.raises(RuleViolation) as refused:
        set_threshold(actor=provincial, key=K.STORAGE_LIMIT_DAYS, value=None, reason="End of pilot", park=park_a)
    assert refused.value.fields["value"]
    assert thresholds_for(park_a)[K.STORAGE_LIMIT_DAYS] == 500


def test_the_database_refuses_a_threshold_for_both_a_province_and_a_park(park_a):
    with pytest.raises(DatabaseError), transaction.atomic():
        WarningThreshold.objects.create(key=K.TRANSIT_DAYS, value=2, park=park_a, province_code="52")
    with pytest.raises(DatabaseError), transaction.atomic():
        WarningThreshold.objects.create(key=K.TRANSIT_DAYS, value=2)


def test_the_history_of_thresholds_is_append_only(provincial, park_a):
    row = set_threshold(actor=provincial, key=K.TRANSIT_DAYS, value=D("2"), reason="Short haul", park=park_a)
    for attempt in (
        lambda: WarningThreshold.history.filter(id=row.pk).update(history_change_reason="rewritten"),
        lambda: WarningThreshold.history.filter(id=row.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert row.history.get().history_change_reason == "Short haul"
