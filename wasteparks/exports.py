"""Spreadsheet exports (CSV and .xlsx) that are safe to open in Excel or WPS.

Three functions make up the API:

- ``safe_cell(value)``: one cell's value, with text that a spreadsheet would run as a formula defused.
- ``csv_response(filename, header, rows)``: an attachment in UTF-8 with a byte-order mark, so Excel
  opens Chinese text correctly.
- ``xlsx_response(filename, sheet_title, header, rows)``: an attachment in Office Open XML, laid out by
  ``lay_out_table`` (also used by workbooks built elsewhere): columns wide enough for their contents
  (an 18-character credit code, Chinese names), the header frozen and filterable, quantities grouped.

``rows`` is any iterable of sequences; cells may be str, int, Decimal, float, bool, date, datetime or
None. Numbers stay numbers (a negative quantity is not text and is not touched); aware datetimes are
written in the current time zone without the offset, as spreadsheets have no time zones.
"""

import csv
import unicodedata
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

# The pages' formats (wasteparks/formats/) in Excel's terms.
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Column widths in characters: room for a long name without one cell's essay making a column endless.
MIN_WIDTH, MAX_WIDTH = 6, 60

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
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, Decimal):
                cell.number_format = decimal_format(value)
    lay_out_table(sheet, header_row=1)
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, filename)


def decimal_format(value: Decimal) -> str:
    """Thousands grouped, with the decimal places the value carries (quantities: 4, as recorded)."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "#,##0" + ("." + "0" * places if places else "")


def _display_width(value) -> int:
    """Roughly how many characters wide Excel shows a value: Chinese characters take two."""
    if value is None or value == "":
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        digits = len(f"{value:,}") if not isinstance(value, Decimal) else len(f"{value:,f}")
        return digits
    text = max(str(value).splitlines() or [""], key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lay_out_table(sheet, *, header_row: int, last_row: int | None = None) -> None:
    """Lay out the table whose header is row `header_row` and whose rows run to `last_row` (the sheet's
    end by default): every column as wide as its widest cell, the rows above and the header frozen, a
    filter on the header."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            width = _display_width(cell.value)
            if width > widths.get(cell.column, 0):
                widths[cell.column] = width
    for column, width in widths.items():
        # Two characters more for the filter's drop-down button on the header.
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = f"A{header_row + 1}"
    if widths:
        last = get_column_letter(max(widths))
        sheet.auto_filter.ref = f"A{header_row}:{last}{max(last_row or sheet.max_row, header_row)}"


def file_response(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A stored export (wasteparks/background_exports.py) as an attachment, named as when it was built."""
    return _attachment(HttpResponse(content, content_type=content_type), filename)
