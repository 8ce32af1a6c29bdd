"""A report that does not balance exactly cannot be submitted; the error lists each failing line."""

import pytest

from reporting.models import ReportStatus
from reporting.rules.reports import expected_closing, imbalances
from reporting.services import reports as services
from tests import factories as f
from tests.fixtures.reports import D

pytestmark = pytest.mark.django_db


def test_the_balance_is_exact_decimal_arithmetic():
    figures = {
        "opening_stock": D("0.1"),
        "generated": D("0.2"),
        "received": D("0"),
        "utilized_in_house": D("0"),
        "disposed_in_house": D("0"),
        "shipped_for_utilization": D("0"),
        "shipped_for_disposal": D("0"),
        "closing_stock": D("0.3"),
    }
    assert expected_closing(figures) == D("0.3")
    assert imbalances([("X", figures)]) == []
    assert len(imbalances([("X", {**figures, "closing_stock": D("0.3001")})])) == 1


def test_an_unbalanced_report_is_refused_with_each_failing_line_and_its_numbers(report_x, preparer_x):
    from wasteparks.errors import RuleViolation

    services.adjust_report_lines(
        report=report_x,
        actor=preparer_x,
        lines=[
            services.LineAdjustment(waste_code=f.waste_code("900-249-08"), figures={"generated": D("26")}, reason="r"),
            services.LineAdjustment(waste_code=f.waste_code("SW07"), figures={"closing_stock": D("99")}, reason="r"),
        ],
    )
    with pytest.raises(RuleViolation) as refused:
        services.submit_monthly_report(report=report_x, actor=preparer_x)
    error = refused.value
    assert error.code == "report_unbalanced"
    assert error.message.startswith("The report does not balance on 2 line(s):")
    assert (
        "900-249-08: opening 40.0000 + generated 26.0000 + received 6.0000 − utilized 5.0000 − disposed 2.2500 − "
        "shipped for utilization 16.0000 − shipped for disposal 8.0000 = 40.7500 t, but the closing stock is "
        "40.2500 t (difference -0.5000 t)." in error.message
    )
    assert "SW07:" in error.message and "difference -1.0000 t" in error.message
    assert set(error.fields) == {"lines[900-249-08]", "lines[SW07]"}
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.DRAFT
    assert report_x.current_revision.submitted_at is None
    assert not report_x.events.filter(action="submit").exists()


def test_once_every_line_balances_the_report_goes_in(report_x, preparer_x):
    services.adjust_report_lines(
        report=report_x,
        actor=preparer_x,
        lines=[
            services.LineAdjustment(
                waste_code=f.waste_code("900-249-08"),
                figures={"generated": D("26"), "closing_stock": D("40.75")},
                reason="Recount",
            )
        ],
    )
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.SUBMITTED
