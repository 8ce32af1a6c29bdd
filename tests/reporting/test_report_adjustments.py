"""An enterprise may adjust a prefilled line only with a reason, kept beside the prefilled value."""

import pytest
from django.db import IntegrityError

from reporting.models import MonthlyReportEvent, MonthlyReportLine
from reporting.services import reports as services
from tests import factories as f
from tests.fixtures.reports import D
from wasteparks.errors import NotPermitted, RuleViolation

pytestmark = pytest.mark.django_db


def hw_line(report) -> MonthlyReportLine:
    return report.current_revision.lines.get(waste_code__code="900-249-08")


def adjust(report, actor, reason="", **figures):
    return services.adjust_report_lines(
        report=report,
        actor=actor,
        lines=[services.LineAdjustment(waste_code=f.waste_code("900-249-08"), figures=figures, reason=reason)],
    )


def test_an_adjustment_with_a_reason_keeps_the_prefilled_value_beside_it(report_x, preparer_x):
    adjust(report_x, preparer_x, "Drum count at stocktake", generated=D("26"), closing_stock=D("40.75"))
    line = hw_line(report_x)
    assert (line.generated_t, line.generated_prefill_t) == (D("26"), D("25.5"))
    assert (line.closing_stock_t, line.closing_stock_prefill_t) == (D("40.75"), D("40.25"))
    assert line.adjustment_reason == "Drum count at stocktake"
    assert line.adjusted_by == preparer_x and line.adjusted_at is not None
    assert line.adjusted_figures == ["generated", "closing_stock"]
    event = MonthlyReportEvent.objects.filter(report=report_x).last()
    assert (event.action, event.comment) == ("adjust", "900-249-08: Drum count at stocktake")


def test_an_adjustment_without_a_reason_is_refused_and_nothing_changes(report_x, preparer_x):
    with pytest.raises(RuleViolation) as refused:
        adjust(report_x, preparer_x, "   ", generated=D("26"))
    assert refused.value.code == "adjustment_reason_required"
    assert "900-249-08: generated differ from what the ledger gives" in refused.value.message
    line = hw_line(report_x)
    assert line.generated_t == D("25.5") and line.adjustment_reason == ""
    assert not MonthlyReportEvent.objects.filter(report=report_x, action="adjust").exists()


def test_setting_a_line_back_to_the_prefilled_figures_needs_no_reason_and_clears_it(report_x, preparer_x):
    adjust(report_x, preparer_x, "Typo", generated=D("26"))
    adjust(report_x, preparer_x, generated=D("25.5"))
    line = hw_line(report_x)
    assert line.generated_t == D("25.5") and line.adjustment_reason == "" and line.adjusted_by is None


@pytest.mark.parametrize("value", [D("-1"), D("0.00001"), 1.5])
def test_negative_or_malformed_figures_are_refused(report_x, preparer_x, value):
    with pytest.raises(RuleViolation) as refused:
        adjust(report_x, preparer_x, "reason", generated=value)
    assert refused.value.code == "invalid_figure"
    assert "lines[900-249-08].generated_t" in refused.value.fields
    assert hw_line(report_x).generated_t == D("25.5")


def test_the_database_refuses_negative_figures_and_unexplained_adjustments(report_x):
    line = hw_line(report_x)
    MonthlyReportLine.objects.filter(pk=line.pk).update(adjustment_reason="x")
    with pytest.raises(IntegrityError):
        from django.db import transaction

        with transaction.atomic():
            MonthlyReportLine.objects.filter(pk=line.pk).update(generated_t=D("-1"))
    MonthlyReportLine.objects.filter(pk=line.pk).update(adjustment_reason="")
    with pytest.raises(IntegrityError):
        MonthlyReportLine.objects.filter(pk=line.pk).update(generated_t=D("30"))


def test_a_code_the_ledger_did_not_give_can_be_added_with_a_reason(report_x, preparer_x):
    services.adjust_report_lines(
        report=report_x,
        actor=preparer_x,
        lines=[
            services.LineAdjustment(
                waste_code=f.waste_code("SW02"),
                figures={"generated": D("3"), "closing_stock": D("3")},
                reason="Fly ash not yet booked in the ledger",
            )
        ],
    )
    line = report_x.current_revision.lines.get(waste_code__code="SW02")
    assert (line.generated_t, line.generated_prefill_t, line.closing_stock_t) == (D("3"), D("0"), D("3"))


@pytest.mark.parametrize("persona", ["viewer_x", "preparer_y", "officer_a", "driver_c"])
def test_only_the_enterprises_admin_or_preparer_adjusts(report_x, persona, request):
    with pytest.raises(NotPermitted):
        adjust(report_x, request.getfixturevalue(persona), "reason", generated=D("26"))
    assert hw_line(report_x).generated_t == D("25.5")


def test_the_admin_may_adjust_too(report_x, admin_x):
    adjust(report_x, admin_x, "Recount", generated=D("26"))
    assert hw_line(report_x).generated_t == D("26")
