"""A report, and a park's reports for a period, as Excel workbooks holding the same numbers."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from reporting.exports.reports import park_workbook, report_workbook, report_workbook_response
from reporting.models import MonthlyReport
from reporting.rules.reports import FIGURES
from reporting.services import reports as services
from tests import factories as f
from tests.fixtures.reports import D, last_period, make_report

pytestmark = pytest.mark.django_db


def rows_after(sheet, first_cell: str) -> list[tuple]:
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == first_cell)
    result = []
    for row in rows[start + 1 :]:
        if row[0] in (None, ""):
            break
        result.append(row)
    return result


def test_the_report_workbook_opens_and_holds_the_reports_numbers(report_x, preparer_x):
    services.adjust_report_lines(
        report=report_x,
        actor=preparer_x,
        lines=[
            services.LineAdjustment(
                waste_code=f.waste_code("SW07"),
                figures={"generated": D("101.1234"), "closing_stock": D("101.1234")},
                reason='=HYPERLINK("http://evil.example","click")',
            )
        ],
    )
    answer = report_workbook_response(MonthlyReport.objects.with_details().get(pk=report_x.pk))
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in answer["Content-Disposition"]
    sheet = load_workbook(BytesIO(answer.content)).active
    lines = {line.waste_code.code: line for line in report_x.current_revision.lines.select_related("waste_code")}
    exported = {row[0]: row for row in rows_after(sheet, "Waste code")}
    assert set(exported) == set(lines) == {"900-249-08", "SW07"}
    for code, line in lines.items():
        numbers = exported[code][2 : 2 + len(FIGURES)]
        assert all(isinstance(value, int | float) for value in numbers)
        assert [D(value).quantize(D("0.0001")) for value in numbers] == list(line.figures().values())
    # The adjustment is listed with its prefilled value; the reason is text, never a formula.
    adjustments = rows_after(sheet, "Adjustments")
    assert adjustments[0][:4] == ("SW07", "Generated (t)", 100, 101.1234)
    reason_cell = next(cell for row in sheet.iter_rows() for cell in row if "HYPERLINK" in str(cell.value))
    assert reason_cell.value.startswith("'=")
    assert reason_cell.data_type == "s"


def test_text_that_would_start_a_formula_is_escaped_everywhere(catalogue):
    evil = f.EnterpriseFactory(name="=cmd|' /C calc'!A0")
    report = make_report(enterprise=evil, period=last_period(), lines={"SW07": {"generated": "1"}})
    sheet = load_workbook(BytesIO(report_workbook(report))).active
    texts = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "'=cmd|' /C calc'!A0" in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)


def test_a_parks_reports_for_a_period_come_as_one_workbook(park_a, enterprise_x, receiver_r, enterprise_y, officer_a):
    period = last_period()
    make_report(enterprise=enterprise_x, period=period, status="submitted", lines={"900-249-08": {"generated": "2.5"}})
    make_report(enterprise=receiver_r, period=period, lines={"900-249-08": {"received": "7", "utilized_in_house": "7"}})
    make_report(enterprise=enterprise_y, period=period, lines={"SW07": {"generated": "9"}})  # park B
    reports = MonthlyReport.objects.visible_to(officer_a).with_details().of_park(park_a.pk).for_period(period)
    content = park_workbook(park=park_a, period=period, reports=reports.order_by("enterprise__name"))
    workbook = load_workbook(BytesIO(content))
    assert len(workbook.sheetnames) == 3  # summary + one sheet a report of park A
    summary = rows_after(workbook["Summary"], "Enterprise")
    by_enterprise = {row[0]: row for row in summary}
    assert set(by_enterprise) == {"Enterprise X (generator)", "Receiver R"}
    x = by_enterprise["Enterprise X (generator)"]
    assert (x[1], x[4], x[6 + 1]) == ("Submitted", "900-249-08", 2.5)  # status, code, generated
    r = by_enterprise["Receiver R"]
    assert (r[6 + 2], r[6 + 3], r[6 + 7]) == (7, 7, 0)  # received, utilized, closing
