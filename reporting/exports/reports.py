"""Monthly waste reports as Excel workbooks: one report, or every report of a park for a period.

Figures are written as numbers (Decimal, 4 places), text through `safe_cell` so nothing typed by an
enterprise can run as a formula.
"""

from collections.abc import Iterable
from decimal import Decimal
from io import BytesIO

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from registry.models import Park
from wasteparks.exports import XLSX_CONTENT_TYPE, _attachment, lay_out_table, safe_cell
from wasteparks.periods import Period

from ..models.reports import MonthlyReport
from ..rules.reports import FIGURE_LABELS, FIGURES, column, prefill_column

__all__ = [
    "XLSX_CONTENT_TYPE",
    "report_workbook",
    "park_workbook",
    "report_workbook_response",
    "park_workbook_response",
]

NUMBER_FORMAT = "#,##0.0000"


def _header() -> list[str]:
    return [_("Waste code"), _("Waste class"), *[str(FIGURE_LABELS[name]) for name in FIGURES]]


def _write(sheet, values: list) -> None:
    cells = [safe_cell(value) for value in values]
    sheet.append(cells)
    for cell, value in zip(sheet[sheet.max_row], cells, strict=False):
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl would read a leading "=" as a formula
        elif isinstance(value, Decimal):
            cell.number_format = NUMBER_FORMAT


def _bold_row(sheet) -> None:
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _lines(report: MonthlyReport):
    return sorted(report.revision.lines.all(), key=lambda line: line.waste_code.code)


def _report_sheet(sheet, report: MonthlyReport) -> None:
    enterprise = report.enterprise
    for label, value in (
        (_("Enterprise"), enterprise.name),
        (_("Unified social credit code"), enterprise.credit_code),
        (_("Period"), str(report.period)),
        (_("Status"), report.get_status_display()),
        (_("Revision"), report.revision.number),
        (_("Deadline"), report.deadline),
        (_("Filed late"), _("yes") if report.is_late else _("no")),
        (_("Submitted at"), report.submitted_at),
        (_("Review comment"), report.review_comment),
    ):
        _write(sheet, [str(label), value])
    sheet.append([])
    _write(sheet, _header())
    _bold_row(sheet)
    header_row = sheet.max_row
    lines = _lines(report)
    for line in lines:
        _write(sheet, [line.waste_code.code, line.waste_code.get_waste_class_display(), *line.figures().values()])
    lines_end = sheet.max_row
    adjusted = [line for line in lines if line.is_adjusted]
    if adjusted:
        sheet.append([])
        _write(sheet, [_("Adjustments"), _("Figure"), _("Prefilled (t)"), _("Reported (t)"), _("Reason")])
        _bold_row(sheet)
        for line in adjusted:
            for name in line.adjusted_figures:
                _write(
                    sheet,
                    [
                        line.waste_code.code,
                        str(FIGURE_LABELS[name]),
                        getattr(line, prefill_column(name)),
                        getattr(line, column(name)),
                        line.adjustment_reason,
                    ],
                )
    lay_out_table(sheet, header_row=header_row, last_row=lines_end)


def _save(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_workbook(report: MonthlyReport) -> bytes:
    """One report: its header, its lines (figures as numbers) and the adjustments with their reasons."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook opens with one worksheet, the active one
    sheet.title = str(report.period)
    _report_sheet(sheet, report)
    return _save(workbook)


def park_workbook(*, park: Park, period: Period, reports: Iterable[MonthlyReport]) -> bytes:
    """A park's reports for a period: one summary sheet (a row per enterprise and code), then a sheet per
    report."""
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None  # a new workbook opens with one worksheet, the active one
    summary.title = _("Summary")
    _write(summary, [park.name, str(period)])
    _write(summary, [_("Enterprise"), _("Status"), _("Revision"), _("Filed late"), *_header()])
    _bold_row(summary)
    for index, report in enumerate(reports, start=1):
        head = [
            report.enterprise.name,
            report.get_status_display(),
            report.revision.number,
            _("yes") if report.is_late else _("no"),
        ]
        lines = _lines(report)
        if not lines:
            _write(summary, [*head, "", ""])
        for line in lines:
            _write(
                summary,
                [*head, line.waste_code.code, line.waste_code.get_waste_class_display(), *line.figures().values()],
            )
        # Sheet titles: at most 31 characters, none of []:*?/\ ; numbered so two similar names never clash.
        title = "".join(ch for ch in f"{index} {report.enterprise.name}" if ch not in "[]:*?/\\")[:31]
        _report_sheet(workbook.create_sheet(title), report)
    lay_out_table(summary, header_row=2)
    return _save(workbook)


def _response(content: bytes, filename: str) -> HttpResponse:
    return _attachment(HttpResponse(content, content_type=XLSX_CONTENT_TYPE), filename)


def report_workbook_response(report: MonthlyReport) -> HttpResponse:
    return _response(report_workbook(report), f"monthly-report-{report.enterprise.credit_code}-{report.period}.xlsx")


def park_workbook_response(*, park: Park, period: Period, reports: Iterable[MonthlyReport]) -> HttpResponse:
    return _response(
        park_workbook(park=park, period=period, reports=reports), f"monthly-reports-{park.pk}-{period}.xlsx"
    )
