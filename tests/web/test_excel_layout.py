"""Excel exports open ready to read: every column wide enough for what it holds (an 18-character credit
code, a Chinese name), the header frozen and filterable, quantities grouped with their 4 decimals."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from reporting.exports.reports import park_workbook, report_workbook
from reporting.models import MonthlyReport
from tests import factories as f
from wasteparks.exports import xlsx_response

pytestmark = pytest.mark.django_db


def workbook_of(response):
    assert response.status_code == 200
    return load_workbook(BytesIO(response.content))


def width(sheet, column: str) -> float:
    return sheet.column_dimensions[column].width


def test_the_enterprise_list_export_fits_its_credit_codes_and_filters_its_header(client, officer_a, enterprise_x):
    f.EnterpriseFactory(name="贵州大龙汇成新材料有限公司危险废物综合利用分公司", park=enterprise_x.park)
    client.force_login(officer_a)
    sheet = workbook_of(client.get(reverse("registry:enterprise_list"), {"export": "xlsx"})).active
    header = [cell.value for cell in sheet[1]]
    code_column = get_column_letter(header.index("Unified social credit code") + 1)
    assert width(sheet, code_column) >= 20  # 18 characters and the filter button
    assert width(sheet, "A") >= 2 * len("贵州大龙汇成新材料有限公司危险废物综合利用分公司")  # Chinese is double width
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{sheet.max_row}"


def test_quantities_are_grouped_with_their_decimals_and_widths_have_a_ceiling():
    response = xlsx_response(
        "t.xlsx", "t", ["Note", "Quantity (t)"], [["x" * 500, Decimal("12345.5000")], ["short", Decimal("3")]]
    )
    sheet = workbook_of(response).active
    assert sheet["B2"].number_format == "#,##0.0000" and sheet["B3"].number_format == "#,##0"
    assert width(sheet, "A") == 60


def test_the_park_workbook_freezes_and_filters_its_summary_below_the_title(report_x, preparer_x):
    reports = MonthlyReport.objects.with_details().filter(pk=report_x.pk)
    book = load_workbook(BytesIO(park_workbook(park=report_x.enterprise.park, period=report_x.period, reports=reports)))
    summary = book.worksheets[0]
    assert summary.freeze_panes == "A3"
    assert summary.auto_filter.ref.startswith("A2:")
    report_sheet = book.worksheets[1]
    assert report_sheet.auto_filter.ref  # the lines of the report, below its facts
    assert width(report_sheet, "B") >= 18  # the credit code among the facts


def test_a_single_report_workbook_is_laid_out_the_same(report_x):
    book = load_workbook(BytesIO(report_workbook(MonthlyReport.objects.with_details().get(pk=report_x.pk))))
    sheet = book.active
    header_row = int(sheet.freeze_panes[1:]) - 1
    assert sheet.cell(row=header_row, column=1).value == "Waste code"
    assert sheet.auto_filter.ref.startswith(f"A{header_row}:")
