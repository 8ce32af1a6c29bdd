"""Spreadsheet exports (CSV and .xlsx) that are safe to open in Excel or WPS.

Three functions make up the API:

- ``safe_cell(value)``: one cell's value, with text that a spreadsheet would run as a formula defused.
- ``csv_response(filename, header, rows)``: an attachment in UTF-8 with a byte-order mark, so Excel
  opens Chinese text correctly.
- ``xlsx_response(filename, sheet_title, header, rows)``: an attachment in Office Open XML.

``rows`` is any iterable of sequences; cells may be str, int, Decimal, float, bool, date, datetime or
None. Numbers stay numbers (a negative quantity is not text and is not touched); aware datetimes are
written in the current time zone without the offset, as spreadsheets have no time zones.
"""

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

# A spreadsheet treats text starting with these as a formula (or, for tab and CR, as the start of one
# after its own trimming): "=HYPERLINK(...)" typed into a note must stay text (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """The value to write in a cell: text that would start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | date):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    # RFC 6266: an ASCII fallback plus the UTF-8 name, so Chinese file names survive every browser.
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return response


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(str(label)) for label in header])
    for row in rows:
        writer.writerow([_csv_text(safe_cell(cell)) for cell in row])
    return _attachment(response, filename)


def _csv_text(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def xlsx_response(filename: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    assert sheet is not None  # a new workbook opens with one worksheet, the active one
    # Sheet titles are at most 31 characters and may not contain []:*?/\
    sheet.title = "".join(ch for ch in str(sheet_title) if ch not in "[]:*?/\\")[:31] or "Sheet1"
    sheet.append([safe_cell(str(label)) for label in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = [safe_cell(cell) for cell in row]
        sheet.append(values)
        for cell, value in zip(sheet[sheet.max_row], values, strict=False):
            if isinstance(value, str):
                # openpyxl itself reads a leading "=" as a formula; text stays text.
                cell.data_type = "s"
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, filename)
