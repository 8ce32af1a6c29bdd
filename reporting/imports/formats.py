"""Reading an export file into rows of text: CSV (UTF-8, with or without BOM, or GB18030, which covers
the GBK that Chinese office software writes), Excel .xlsx and JSON (a list of objects, or an object whose
"records" is one). Everything comes out as dicts of stripped strings keyed by the header as written; the
platform's layout (batteries.py) decides what the columns mean."""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from wasteparks.errors import DomainError

# An export of one park's month is a few thousand rows; anything far larger is a wrong file, and reading
# it would hold a web worker for minutes.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
KINDS = ("csv", "xlsx", "json")


class UnreadableFile(DomainError):
    """The file is not one the import can read; nothing was written."""

    code = "unreadable_file"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[dict[str, str]]


def kind_of(file_name: str) -> str:
    """The kind named by the file's extension, or UnreadableFile."""
    kind = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if kind not in KINDS:
        raise UnreadableFile(_("Only CSV, Excel (.xlsx) and JSON files can be imported."))
    return kind


def read_table(*, content: bytes, kind: str) -> Table:
    if len(content) > MAX_BYTES:
        raise UnreadableFile(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json}.get(kind)
    if reader is None:
        raise UnreadableFile(_("Only CSV, Excel (.xlsx) and JSON files can be imported."))
    table = reader(content)
    if len(table.rows) > MAX_ROWS:
        raise UnreadableFile(_("The file has more than %(rows)s rows.") % {"rows": MAX_ROWS})
    return table


def _decode(content: bytes) -> str:
    # UTF-8 first: a UTF-8 file almost never also decodes as GB18030 into the same text, while GB18030
    # accepts nearly any byte string, so trying it first would turn UTF-8 into mojibake.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UnreadableFile(_("The file is neither UTF-8 nor GB18030 (GBK) text."))


def _read_csv(content: bytes) -> Table:
    text = _decode(content)
    try:
        grid = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise UnreadableFile(_("The CSV file cannot be read: %(error)s") % {"error": error}) from error
    return _from_grid(grid)


def _read_xlsx(content: bytes) -> Table:
    import openpyxl  # only an Excel import pays for loading it

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableFile(_("The file is not an Excel .xlsx workbook.")) from error
    sheet = book.worksheets[0]
    grid = [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return _from_grid(grid)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel keeps numbers as floats: read the shortest text that gives the same float back.
        return str(Decimal(repr(value)).normalize()) if value != int(value) else str(int(value))
    return str(value)


def _read_json(content: bytes) -> Table:
    try:
        data = json.loads(_decode(content))
    except json.JSONDecodeError as error:
        raise UnreadableFile(_("The file is not valid JSON.")) from error
    if isinstance(data, dict):
        data = data.get("records")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UnreadableFile(_('A JSON file must hold a list of records, or an object with a "records" list.'))
    return table_of_objects(data)


def table_of_objects(items: list[dict]) -> Table:
    """A table from JSON objects (a file or a pulled page): the header is every key seen, in order."""
    header: list[str] = []
    for item in items:
        header.extend(key for key in item if key not in header)
    rows = [{key: "" if item.get(key) is None else str(item.get(key)).strip() for key in header} for item in items]
    return Table(header=header, rows=rows)


def _from_grid(grid: list[list[str]]) -> Table:
    grid = [row for row in grid if any(str(cell).strip() for cell in row)]
    if not grid:
        raise UnreadableFile(_("The file has no header row."))
    header = [str(cell).strip() for cell in grid[0]]
    rows = [
        {name: (str(row[i]).strip() if i < len(row) else "") for i, name in enumerate(header) if name}
        for row in grid[1:]
    ]
    return Table(header=[name for name in header if name], rows=rows)
