"""Each of the twelve warning rules: trips, does not trip just below its threshold, and closes itself
when the condition clears."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from registry.models import PermitLine
from reporting.models import (
    MonthlyReport,
    MonthlyReportLine,
    MonthlyReportRevision,
    SnapshotScope,
    UtilizationSnapshot,
    Warning,
    WarningClosedReason,
    WarningStatus,
    window_rates,
)
from reporting.models.thresholds import ThresholdKey
from reporting.warnings import RULES, RULES_BY_CODE, run_rules
from reporting.warnings.thresholds import set_threshold
from tests import factories as f
from tests.transfers.factories import draft, generate
from transfers.models import Manifest, ManifestLine
from wasteparks.periods import Period, zone
from wasteparks.workdays import FIRST_YEAR, LAST_YEAR

D = Decimal


def scan(code, now=None):
    return run_rules(rules=(RULES_BY_CODE[code],), now=now)


def live(code):
    return list(Warning.objects.live().filter(rule=code))


def assert_closed_automatically(warning):
    warning.refresh_from_db()
    assert warning.status == WarningStatus.RESOLVED
    assert warning.closed_reason == WarningClosedReason.AUTO
    assert warning.events.last().note == "The condition cleared; closed automatically."


def test_there_are_twelve_rules_with_distinct_codes():
    # Besides the device cross-checks (tests/telemetry/test_device_rules.py).
    from reporting.warnings.rules import DEVICE_RULE_CODES

    assert len({rule.code for rule in RULES}) == len(RULES)
    # DESIGN 6's twelve and PLAN_EXCEEDED, the annual management plan's (tests/reporting/test_management_plans.py).
    assert len({rule.code for rule in RULES} - DEVICE_RULE_CODES) == 13


# --- MANIFEST_OVERDUE -----------------------------------------------------------------------------


def test_manifest_in_transit_beyond_three_days_is_overdue_and_closes_on_receipt(hazardous_draft, advance):
    manifest = advance(hazardous_draft, "in_transit")
    Manifest.objects.filter(pk=manifest.pk).update(
        picked_up_at=timezone.now() - timedelta(days=3) + timedelta(minutes=5)
    )
    scan("MANIFEST_OVERDUE")
    assert live("MANIFEST_OVERDUE") == []

    Manifest.objects.filter(pk=manifest.pk).update(picked_up_at=timezone.now() - timedelta(days=3, minutes=5))
    scan("MANIFEST_OVERDUE")
    [warning] = live("MANIFEST_OVERDUE")
    assert warning.manifest_id == manifest.pk
    assert warning.evidence["limit_days"] == 3
    assert "is overdue in transit" in warning.message_en and "运输超时" in warning.message_zh

    advance(manifest, "received")
    scan("MANIFEST_OVERDUE")
    assert_closed_automatically(warning)


def at(year, month, day, hour=10):
    """A local time (Asia/Shanghai): deadlines in working days fall on local days."""
    return datetime(year, month, day, hour, tzinfo=zone())


def receive_at(manifest, moment):
    Manifest.objects.filter(pk=manifest.pk).update(received_at=moment)


def test_received_manifest_not_confirmed_within_five_working_days_is_overdue(hazardous_draft, advance):
    now = at(2025, 3, 12)  # a Wednesday of an ordinary week
    manifest = advance(hazardous_draft, "received")
    receive_at(manifest, now - timedelta(days=5))
    scan("MANIFEST_OVERDUE", now=now)
    assert live("MANIFEST_OVERDUE") == []  # five calendar days are at most five working days

    receive_at(manifest, now - timedelta(days=8))
    scan("MANIFEST_OVERDUE", now=now)
    [warning] = live("MANIFEST_OVERDUE")
    assert warning.enterprise == manifest.receiver

    advance(manifest, "completed")
    scan("MANIFEST_OVERDUE", now=now)
    assert_closed_automatically(warning)


def test_a_load_received_on_the_make_up_sunday_of_2025_is_not_overdue_until_after_the_make_up_saturday(
    hazardous_draft, advance
):
    manifest = advance(hazardous_draft, "received")
    receive_at(manifest, at(2025, 1, 26))
    scan("MANIFEST_OVERDUE", now=at(2025, 2, 1))
    assert live("MANIFEST_OVERDUE") == []  # Monday to Friday alone made it overdue here
    scan("MANIFEST_OVERDUE", now=at(2025, 2, 8, 23))
    assert live("MANIFEST_OVERDUE") == []  # the last day: Saturday 8 February, a working day

    scan("MANIFEST_OVERDUE", now=at(2025, 2, 9, 8))
    [warning] = live("MANIFEST_OVERDUE")
    assert warning.enterprise == manifest.receiver
    assert warning.evidence["confirm_by"] == "2025-02-08"
    assert warning.evidence["limit_working_days"] == 5
    assert "limit 5 working days" in warning.message_en


def test_a_make_up_saturday_makes_a_friday_receipt_overdue_a_day_sooner_than_weekdays_would(hazardous_draft, advance):
    manifest = advance(hazardous_draft, "received")
    receive_at(manifest, at(2025, 2, 7, 15))
    scan("MANIFEST_OVERDUE", now=at(2025, 2, 13, 18))
    assert live("MANIFEST_OVERDUE") == []

    scan("MANIFEST_OVERDUE", now=at(2025, 2, 14, 9))
    [warning] = live("MANIFEST_OVERDUE")
    assert warning.evidence["confirm_by"] == "2025-02-13"


@pytest.mark.parametrize(
    ("received", "last_day"),
    [
        ((2024, 2, 9), (2024, 2, 22)),  # Spring Festival 2024, make-up Sunday 18 February
        ((2025, 9, 26), (2025, 10, 10)),  # National Day and Mid-Autumn 2025, make-up Sunday 28 September
        ((2026, 2, 13), (2026, 2, 27)),  # Spring Festival 2026, make-up Saturday 14 February
        ((2026, 9, 30), (2026, 10, 13)),  # National Day 2026, make-up Saturday 10 October
    ],
)
def test_a_receiver_confirming_over_a_long_holiday_is_warned_only_after_its_last_working_day(
    hazardous_draft, advance, received, last_day
):
    manifest = advance(hazardous_draft, "received")
    receive_at(manifest, at(*received, 16))
    scan("MANIFEST_OVERDUE", now=at(*last_day, 23))
    assert live("MANIFEST_OVERDUE") == []

    scan("MANIFEST_OVERDUE", now=at(*last_day, 23) + timedelta(hours=2))
    [warning] = live("MANIFEST_OVERDUE")
    assert warning.evidence["confirm_by"] == "{:04d}-{:02d}-{:02d}".format(*last_day)


def test_a_parks_own_confirmation_limit_is_counted_in_working_days_over_national_day_2024(
    hazardous_draft, advance, provincial
):
    manifest = advance(hazardous_draft, "received")
    set_threshold(
        actor=provincial,
        key=ThresholdKey.CONFIRM_WORKING_DAYS,
        value=Decimal("10"),
        reason="Receivers of this park confirm after laboratory analysis",
        park=manifest.receiver.park,
    )
    receive_at(manifest, at(2024, 9, 27))
    # Worked: Sunday 29 September, 30 September, 8-11 October, Saturday 12 October, 14-16 October.
    scan("MANIFEST_OVERDUE", now=at(2024, 10, 16, 20))
    assert live("MANIFEST_OVERDUE") == []

    scan("MANIFEST_OVERDUE", now=at(2024, 10, 17, 9))
    [warning] = live("MANIFEST_OVERDUE")
    assert warning.evidence["limit_working_days"] == 10
    assert warning.evidence["confirm_by"] == "2024-10-16"


def test_beyond_the_holiday_calendar_confirmations_are_left_as_they_are_with_an_error_and_transit_is_checked(
    hazardous_draft, advance, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, caplog
):
    received = advance(hazardous_draft, "received")
    receive_at(received, at(2025, 3, 3))
    scan("MANIFEST_OVERDUE", now=at(2025, 3, 20))
    [confirmation] = live("MANIFEST_OVERDUE")

    beyond = at(LAST_YEAR + 1, 2, 1)
    late = advance(
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store),
        "in_transit",
    )
    Manifest.objects.filter(pk=late.pk).update(picked_up_at=beyond - timedelta(days=4))
    unconfirmed = advance(
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store),
        "received",
    )
    receive_at(unconfirmed, beyond - timedelta(days=30))

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="reporting.warnings.manifests"):
        scan("MANIFEST_OVERDUE", now=beyond)
        scan("MANIFEST_OVERDUE", now=beyond)  # and again: nothing closes for want of a count
        run_rules(manifest_id=received.pk, now=beyond)

    confirmation.refresh_from_db()
    assert confirmation.status == WarningStatus.OPEN  # neither closed nor duplicated
    assert {w.manifest_id for w in live("MANIFEST_OVERDUE")} == {received.pk, late.pk}
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3
    assert f"not {LAST_YEAR + 1}" in errors[0].getMessage() and "chinesecalendar" in errors[0].getMessage()


def test_a_receipt_older_than_the_holiday_calendar_is_overdue_with_its_last_day_unknown(hazardous_draft, advance):
    manifest = advance(hazardous_draft, "received")
    receive_at(manifest, at(FIRST_YEAR - 1, 6, 2))
    scan("MANIFEST_OVERDUE", now=at(2025, 3, 12))
    [warning] = live("MANIFEST_OVERDUE")
    assert warning.evidence["confirm_by"] is None


# --- QUANTITY_DISCREPANCY -------------------------------------------------------------------------


def test_received_quantity_beyond_tolerance_is_a_discrepancy(hazardous_draft, advance):
    manifest = advance(hazardous_draft, "received")
    line = manifest.lines.get()
    ManifestLine.objects.filter(pk=line.pk).update(received_quantity_t=D("10.5"))  # exactly 5 %
    scan("QUANTITY_DISCREPANCY")
    assert live("QUANTITY_DISCREPANCY") == []

    ManifestLine.objects.filter(pk=line.pk).update(received_quantity_t=D("10.51"))
    scan("QUANTITY_DISCREPANCY")
    [warning] = live("QUANTITY_DISCREPANCY")
    assert warning.evidence["declared_t"] == "10" and warning.evidence["received_t"] == "10.51"
    assert warning.enterprise == manifest.consignor

    ManifestLine.objects.filter(pk=line.pk).update(received_quantity_t=D("10"))
    scan("QUANTITY_DISCREPANCY")
    assert_closed_automatically(warning)


# --- STORAGE_OVER_LIMIT ---------------------------------------------------------------------------


def test_hazardous_stock_warns_at_eleven_months_and_is_critical_after_a_year(preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="5", hours_ago=335 * 24 - 1)
    scan("STORAGE_OVER_LIMIT")
    assert live("STORAGE_OVER_LIMIT") == []

    now = timezone.now()
    scan("STORAGE_OVER_LIMIT", now=now + timedelta(hours=2))
    [warning] = live("STORAGE_OVER_LIMIT")
    assert warning.severity == "warning"

    scan("STORAGE_OVER_LIMIT", now=now + timedelta(days=31))
    warning.refresh_from_db()
    assert warning.severity == "critical"
    assert warning.events.filter(action="escalated").count() == 1

    from transfers import services

    services.record_ledger_entry(
        actor=preparer_x,
        enterprise=x_store.enterprise,
        facility=x_store,
        waste_code=f.waste_code("900-249-08"),
        stage="utilized_in_house",
        quantity_t=D("5"),
        method=f.method("R9"),
    )
    scan("STORAGE_OVER_LIMIT", now=now + timedelta(days=31))
    assert_closed_automatically(warning)


def test_medical_stock_older_than_48_hours_is_critical_and_clears_when_gone(catalogue, preparer_x, x_store):
    from transfers import services

    generate(actor=preparer_x, facility=x_store, code="841-001-01", quantity="0.5", hours_ago=47)
    scan("STORAGE_OVER_LIMIT")
    assert live("STORAGE_OVER_LIMIT") == []

    scan("STORAGE_OVER_LIMIT", now=timezone.now() + timedelta(hours=2))
    [warning] = live("STORAGE_OVER_LIMIT")
    assert warning.severity == "critical"

    services.record_ledger_entry(
        actor=preparer_x,
        enterprise=x_store.enterprise,
        facility=x_store,
        waste_code=f.waste_code("841-001-01"),
        stage="disposed_in_house",
        quantity_t=D("0.5"),
        method=f.method("D10"),
    )
    scan("STORAGE_OVER_LIMIT", now=timezone.now() + timedelta(hours=2))
    assert_closed_automatically(warning)


# --- STORAGE_OVER_CAPACITY ------------------------------------------------------------------------


def test_facility_above_ninety_percent_warns_and_above_full_is_critical(preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="450")  # exactly 90 % of 500 t
    scan("STORAGE_OVER_CAPACITY")
    assert live("STORAGE_OVER_CAPACITY") == []

    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="0.0001")
    scan("STORAGE_OVER_CAPACITY")
    [warning] = live("STORAGE_OVER_CAPACITY")
    assert (warning.severity, warning.facility) == ("warning", x_store)

    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="50")
    scan("STORAGE_OVER_CAPACITY")
    warning.refresh_from_db()
    assert warning.severity == "critical"

    x_store.capacity_t = D("1000")
    x_store.save()
    scan("STORAGE_OVER_CAPACITY")
    assert_closed_automatically(warning)


# --- PERMITS --------------------------------------------------------------------------------------


def test_permit_expiring_within_thirty_days_warns_until_renewed(enterprise_x):
    today = timezone.localdate()
    permit = f.PermitFactory(enterprise=enterprise_x, valid_to=today + timedelta(days=31))
    scan("PERMIT_EXPIRING")
    assert live("PERMIT_EXPIRING") == []

    permit.valid_to = today + timedelta(days=30)
    permit.save()
    scan("PERMIT_EXPIRING")
    [warning] = live("PERMIT_EXPIRING")
    assert (warning.permit, warning.evidence["days_left"]) == (permit, 30)

    permit.valid_to = today + timedelta(days=5 * 365)
    permit.save()
    scan("PERMIT_EXPIRING")
    assert_closed_automatically(warning)


def test_accepting_with_a_method_the_permit_does_not_cover_is_flagged(hazardous_draft, advance, receiver_r):
    manifest = advance(hazardous_draft, "completed")
    scan("PERMIT_NOT_COVERING")
    assert live("PERMIT_NOT_COVERING") == []

    permit_line = PermitLine.objects.get(permit__enterprise=receiver_r)
    PermitLine.objects.filter(pk=permit_line.pk).update(method=f.method("R1"))
    scan("PERMIT_NOT_COVERING")
    [warning] = live("PERMIT_NOT_COVERING")
    assert (warning.severity, warning.manifest_id, warning.enterprise) == ("critical", manifest.pk, receiver_r)

    PermitLine.objects.filter(pk=permit_line.pk).update(method=f.method("R9"))
    scan("PERMIT_NOT_COVERING")
    assert_closed_automatically(warning)


def test_receiving_more_than_the_licensed_annual_capacity_is_flagged(hazardous_draft, advance, receiver_r):
    advance(hazardous_draft, "received")  # 10 t accepted this year
    lines = PermitLine.objects.filter(permit__enterprise=receiver_r)
    lines.update(annual_capacity_t=D("10"))
    scan("CAPACITY_EXCEEDED")
    assert live("CAPACITY_EXCEEDED") == []

    lines.update(annual_capacity_t=D("9.9999"))
    scan("CAPACITY_EXCEEDED")
    [warning] = live("CAPACITY_EXCEEDED")
    assert warning.severity == "warning"

    lines.update(annual_capacity_t=D("8"))  # 125 %: beyond the licence by 20 % or more
    scan("CAPACITY_EXCEEDED")
    warning.refresh_from_db()
    assert warning.severity == "critical"

    lines.update(annual_capacity_t=D("1000"))
    scan("CAPACITY_EXCEEDED")
    assert_closed_automatically(warning)


def test_cross_province_shipments_beyond_the_approval_are_flagged(hazardous_draft, advance, enterprise_x, receiver_r):
    approval = f.TransferApprovalFactory(consignor=enterprise_x, receiver=receiver_r, approved_quantity_t=D("100"))
    manifest = advance(hazardous_draft, "in_transit")
    Manifest.objects.filter(pk=manifest.pk).update(approval=approval, is_cross_province=True)
    line = manifest.lines.get()
    ManifestLine.objects.filter(pk=line.pk).update(declared_quantity_t=D("100"))
    scan("APPROVAL_EXCEEDED")
    assert live("APPROVAL_EXCEEDED") == []

    ManifestLine.objects.filter(pk=line.pk).update(declared_quantity_t=D("100.0001"))
    scan("APPROVAL_EXCEEDED")
    [warning] = live("APPROVAL_EXCEEDED")
    assert (warning.approval, warning.evidence["shipped_t"]) == (approval, "100.0001")

    ManifestLine.objects.filter(pk=line.pk).update(declared_quantity_t=D("10"))
    scan("APPROVAL_EXCEEDED")
    assert_closed_automatically(warning)


def test_a_shipment_picked_up_after_the_approval_expired_is_flagged(hazardous_draft, advance, enterprise_x, receiver_r):
    today = timezone.localdate()
    approval = f.TransferApprovalFactory(
        consignor=enterprise_x, receiver=receiver_r, valid_from=today - timedelta(days=60), valid_to=today
    )
    manifest = advance(hazardous_draft, "in_transit")
    Manifest.objects.filter(pk=manifest.pk).update(approval=approval, is_cross_province=True)
    scan("APPROVAL_EXCEEDED")
    assert live("APPROVAL_EXCEEDED") == []  # picked up on the last valid day

    approval.valid_to = today - timedelta(days=1)
    approval.save()
    scan("APPROVAL_EXCEEDED")
    [warning] = live("APPROVAL_EXCEEDED")
    assert warning.manifest_id == manifest.pk


# --- figures --------------------------------------------------------------------------------------


def snapshot(*, scope, park, enterprise=None, months_back=0, waste_class="general", generated="0", utilized="0"):
    month_back = Period.containing(timezone.localdate()).previous().shift(-months_back)
    year, month, index = month_back.year, month_back.month, month_back.first_index
    row = UtilizationSnapshot(
        scope=scope,
        enterprise=enterprise,
        park=park,
        province_code="52",
        subject_key=f"enterprise:{enterprise.pk}" if enterprise else f"park:{park.pk}",
        year=year,
        month=month,
        month_index=index,
        waste_class=waste_class,
        category_code="",
        generated_t=D(generated),
        utilized_t=D(utilized),
        disposed_t=D(0),
        stored_end_t=D(0),
        utilized_from_prior_storage_t=D(0),
        treated_from_prior_storage_t=D(0),
        computed_at=timezone.now(),
    )
    row.utilization_rate_pct, row.utilization_disposal_rate_pct = window_rates(
        generated=row.generated_t,
        utilized=row.utilized_t,
        disposed=row.disposed_t,
        utilized_prior=row.utilized_from_prior_storage_t,
        treated_prior=row.treated_from_prior_storage_t,
    )
    row.save()
    return row


def test_park_rolling_rate_below_its_target_is_flagged(park_a):
    row = snapshot(scope=SnapshotScope.PARK, park=park_a, generated="100", utilized="80")  # target 80 %
    scan("UTILIZATION_BELOW_TARGET")
    assert live("UTILIZATION_BELOW_TARGET") == []

    UtilizationSnapshot.objects.filter(pk=row.pk).update(utilized_t=D("79.99"))
    scan("UTILIZATION_BELOW_TARGET")
    [warning] = live("UTILIZATION_BELOW_TARGET")
    assert (warning.park, warning.evidence["rate_pct"]) == (park_a, "79.99")

    snapshot(scope=SnapshotScope.PARK, park=park_a, months_back=1, generated="10", utilized="10")
    scan("UTILIZATION_BELOW_TARGET")
    assert_closed_automatically(warning)


def test_generation_far_below_the_enterprise_history_is_an_anomaly(park_a, enterprise_x):
    for months_back in range(1, 13):
        snapshot(
            scope=SnapshotScope.ENTERPRISE,
            park=park_a,
            enterprise=enterprise_x,
            months_back=months_back,
            waste_class="hazardous",
            generated="100",
        )
    current = snapshot(
        scope=SnapshotScope.ENTERPRISE, park=park_a, enterprise=enterprise_x, waste_class="hazardous", generated="50"
    )
    scan("GENERATION_ANOMALY")
    assert live("GENERATION_ANOMALY") == []

    UtilizationSnapshot.objects.filter(pk=current.pk).update(generated_t=D("49.99"))
    scan("GENERATION_ANOMALY")
    [warning] = live("GENERATION_ANOMALY")
    assert warning.evidence["median_t"] == "100"
    assert "below 50% of the median" in warning.message_en

    UtilizationSnapshot.objects.filter(pk=current.pk).update(generated_t=D("100"))
    scan("GENERATION_ANOMALY")
    assert_closed_automatically(warning)


def test_generation_far_above_the_history_is_an_anomaly(park_a, enterprise_x):
    for months_back in range(1, 13):
        snapshot(
            scope=SnapshotScope.ENTERPRISE,
            park=park_a,
            enterprise=enterprise_x,
            months_back=months_back,
            generated="100",
        )
    current = snapshot(scope=SnapshotScope.ENTERPRISE, park=park_a, enterprise=enterprise_x, generated="200")
    scan("GENERATION_ANOMALY")
    assert live("GENERATION_ANOMALY") == []

    UtilizationSnapshot.objects.filter(pk=current.pk).update(generated_t=D("200.01"))
    scan("GENERATION_ANOMALY")
    assert len(live("GENERATION_ANOMALY")) == 1


# --- monthly reports ------------------------------------------------------------------------------


def test_a_report_not_filed_after_the_deadline_is_missing_until_filed(enterprise_x, preparer_x, settings):
    settings.REPORT_DEADLINE_DAY = 15
    today = timezone.localdate()
    period = Period.containing(today).previous()
    type(enterprise_x).objects.filter(pk=enterprise_x.pk).update(created_at=period.start)
    deadline = period.deadline(15)
    on_deadline = timezone.datetime(deadline.year, deadline.month, deadline.day, 18, tzinfo=zone())
    scan("REPORT_MISSING", now=on_deadline)
    assert live("REPORT_MISSING") == []

    scan("REPORT_MISSING", now=on_deadline + timedelta(days=1))
    [warning] = live("REPORT_MISSING")
    assert warning.evidence["period"] == str(period)

    MonthlyReport.objects.create(
        enterprise=enterprise_x,
        year=period.year,
        month=period.month,
        status="submitted",
        first_submitted_at=timezone.now(),
        submitted_at=timezone.now(),
        created_by=preparer_x,
    )
    scan("REPORT_MISSING", now=on_deadline + timedelta(days=1))
    assert_closed_automatically(warning)


def test_a_report_whose_shipments_differ_from_the_manifests_is_a_mismatch(
    hazardous_draft, advance, enterprise_x, preparer_x
):
    advance(hazardous_draft, "in_transit")  # 10 t shipped this month
    today = timezone.localdate()
    report = MonthlyReport.objects.create(
        enterprise=enterprise_x,
        year=today.year,
        month=today.month,
        status="submitted",
        first_submitted_at=timezone.now(),
        submitted_at=timezone.now(),
        created_by=preparer_x,
    )
    revision = MonthlyReportRevision.objects.create(report=report, number=1, submitted_at=timezone.now())
    MonthlyReport.objects.filter(pk=report.pk).update(current_revision=revision)
    line = MonthlyReportLine.objects.create(
        revision=revision,
        waste_code=f.waste_code("900-249-08"),
        shipped_for_utilization_t=D("10.5"),
        shipped_for_utilization_prefill_t=D("10.5"),
    )
    scan("REPORT_MISMATCH")
    assert live("REPORT_MISMATCH") == []  # within 5 %

    MonthlyReportLine.objects.filter(pk=line.pk).update(
        shipped_for_utilization_t=D("10.51"), shipped_for_utilization_prefill_t=D("10.51")
    )
    scan("REPORT_MISMATCH")
    [warning] = live("REPORT_MISMATCH")
    assert (warning.report_id, warning.evidence["recorded_t"]) == (report.pk, "10")

    MonthlyReportLine.objects.filter(pk=line.pk).update(
        shipped_for_utilization_t=D("10"), shipped_for_utilization_prefill_t=D("10")
    )
    scan("REPORT_MISMATCH")
    assert_closed_automatically(warning)
