"""A report opens prefilled from the ledger and the month's manifests, line by line."""

import pytest

from reporting.models import MonthlyReport, ReportStatus
from reporting.services import reports as services
from tests import factories as f
from tests.fixtures.reports import D, at, clock, record
from transfers.models import LedgerStage

pytestmark = pytest.mark.django_db


def lines_of(report: MonthlyReport) -> dict:
    report.refresh_from_db()
    return {line.waste_code.code: line for line in report.current_revision.lines.select_related("waste_code")}


def test_prefill_adds_up_the_scripted_month_line_by_line(report_x):
    lines = lines_of(report_x)
    assert set(lines) == {"900-249-08", "SW07"}
    hw = lines["900-249-08"]
    assert hw.figures() == {
        "opening_stock": D("40"),
        "generated": D("25.5"),
        "received": D("6"),  # M3 refused and booked back
        "utilized_in_house": D("5"),
        "disposed_in_house": D("2.25"),
        "shipped_for_utilization": D("16"),  # M1 (treated R9) + M3 (purpose)
        "shipped_for_disposal": D("8"),  # M2 (purpose, not yet treated)
        "closing_stock": D("40.25"),
    }
    assert hw.prefilled() == hw.figures()
    assert hw.adjustment_reason == ""
    sw = lines["SW07"]
    assert sw.figures() == {
        "opening_stock": D("0"),
        "generated": D("100"),
        "received": D("0"),
        "utilized_in_house": D("0"),
        "disposed_in_house": D("0"),
        "shipped_for_utilization": D("0"),
        "shipped_for_disposal": D("0"),
        "closing_stock": D("100"),
    }
    assert report_x.status == ReportStatus.DRAFT
    assert report_x.current_revision.number == 1


def test_closing_stock_matches_the_ledger_at_the_end_of_the_month(report_x, enterprise_x, scripted_month):
    from transfers.models import INFLOW_STAGES, LedgerEntry

    period = scripted_month["period"]
    entries = LedgerEntry.objects.filter(
        enterprise=enterprise_x, waste_code__code="900-249-08", occurred_at__lt=period.end
    )
    on_books = sum((e.quantity_t if e.stage in INFLOW_STAGES else -e.quantity_t for e in entries), D("0"))
    assert lines_of(report_x)["900-249-08"].closing_stock_t == on_books == D("40.25")


def test_the_receiver_reports_what_it_received_and_treated(scripted_month, clerk_r, receiver_r):
    period = scripted_month["period"]
    report = services.create_monthly_report(actor=clerk_r, enterprise=receiver_r, year=period.year, month=period.month)
    line = lines_of(report)["900-249-08"]
    assert (line.opening_stock_t, line.received_t, line.utilized_in_house_t, line.closing_stock_t) == (
        D("0"),
        D("10"),
        D("10"),
        D("0"),
    )


def test_a_treated_manifest_is_split_by_its_final_method_not_its_purpose(
    scripted_month, preparer_x, enterprise_x, clerk_r, r_store
):
    """M2 was sent for disposal; once R records it, the method decides (here D10: still disposal)."""
    from tests.transfers.factories import receipt, treatment
    from transfers import services as transfer_services

    period = scripted_month["period"]
    m2 = scripted_month["m2"]
    with clock(at(period, 20)):
        transfer_services.receive_manifest(manifest=m2, actor=clerk_r, lines=receipt(m2, r_store))
        transfer_services.treat_manifest(manifest=m2, actor=clerk_r, lines=treatment(m2, "D10"))
    report = services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
    )
    line = lines_of(report)["900-249-08"]
    assert (line.shipped_for_utilization_t, line.shipped_for_disposal_t) == (D("16"), D("8"))


def test_opening_stock_is_the_previous_filed_closing_stock(scripted_month, preparer_x, officer_a, enterprise_x):
    """The month before the scripted one is reported (and accepted) with a counted stock of 39 t."""
    period = scripted_month["period"]
    before = period.previous()
    previous = services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=before.year, month=before.month
    )
    assert lines_of(previous)["900-249-08"].closing_stock_t == D("40")
    services.adjust_report_lines(
        report=previous,
        actor=preparer_x,
        lines=[
            services.LineAdjustment(
                waste_code=f.waste_code("900-249-08"),
                figures={"generated": D("39"), "closing_stock": D("39")},
                reason="Weighbridge recalibrated",
            )
        ],
    )
    services.submit_monthly_report(report=previous, actor=preparer_x)
    services.accept_monthly_report(report=previous, officer=officer_a)

    report = services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
    )
    line = lines_of(report)["900-249-08"]
    assert line.opening_stock_t == D("39")
    assert line.closing_stock_t == D("39.25")


def test_refreshing_the_prefill_picks_up_late_entries_and_keeps_adjusted_lines(
    report_x, preparer_x, x_store, scripted_month
):
    period = scripted_month["period"]
    services.adjust_report_lines(
        report=report_x,
        actor=preparer_x,
        lines=[
            services.LineAdjustment(
                waste_code=f.waste_code("SW07"),
                figures={"generated": D("101"), "closing_stock": D("101")},
                reason="Last truck weighed after closing",
            )
        ],
    )
    record(
        actor=preparer_x,
        facility=x_store,
        code="900-249-08",
        stage=LedgerStage.GENERATED,
        quantity="1.5",
        when=at(period, 25),
    )
    services.refresh_prefill(report=report_x, actor=preparer_x)
    lines = lines_of(report_x)
    assert lines["900-249-08"].generated_t == D("27")
    assert lines["900-249-08"].closing_stock_t == D("41.75")
    assert lines["SW07"].generated_t == D("101")  # the adjustment stands
    assert lines["SW07"].generated_prefill_t == D("100")
    assert lines["SW07"].adjustment_reason == "Last truck weighed after closing"
    assert [e.action for e in report_x.events.all()] == ["create", "adjust", "prefill"]


def test_a_month_without_waste_gives_an_empty_report(enterprise_x, preparer_x):
    from tests.fixtures.reports import last_period

    period = last_period()
    report = services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
    )
    assert lines_of(report) == {}
