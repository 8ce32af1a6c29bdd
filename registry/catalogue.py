"""Loading the waste catalogue and the division codes from the reference CSV files.

The files are data: a catalogue correction is an edit to a CSV and a rerun of `load_catalogue`, never a
code change. Loading is idempotent: a row is written only when it differs, and entries that disappeared
from the files are deactivated (they may be referenced by records that must be kept for 10 years).

A hazardous code carries the edition(s) of the National Hazardous Waste List it was read in, the dates it
is valid between and where it was read (docs/catalogue.md). Besides the project's CSV, the loader reads
the ministry's published table (columns 废物类别, 行业来源, 废物代码, 危险废物, 危险特性; CSV or XLSX),
so a province can load the official file itself: its rows take precedence over the CSV's for the same
code, and the CSV still supplies what the table lacks (English names, 900-000-xx, general waste).
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import Division, ManagementMethod, MethodKind, WasteCategory, WasteClass, WasteCode


class CatalogueError(ValueError):
    pass


# NNN-NNN-NN: industry (GB/T 4754), sequence, category (HWnn). The last two digits are the category.
HAZARDOUS_CODE = re.compile(r"^(\d{3})-(\d{3})-(\d{2})$")
# The first three digits are the producing industry's GB/T 4754-2017 group (中类), whose first two digits are
# one of the standard's 97 divisions (大类, numbered 01 to 97); the list files waste of no particular
# industry (非特定行业) under 900.
NON_SPECIFIC_INDUSTRY = "900"
INDUSTRY_DIVISIONS = range(1, 98)
HAZARD_LETTERS = ("T", "C", "I", "R", "In")
MINISTRY_COLUMNS = {
    "废物类别": "category",
    "行业来源": "industry_source",
    "废物代码": "code",
    "危险废物": "name_zh",
    "危险特性": "hazard",
}


@dataclass(frozen=True)
class MinistryTable:
    """The ministry's published table of one edition, and what the file itself does not say."""

    path: Path
    edition: str
    valid_from: date
    source: str = ""


@dataclass
class LoadResult:
    counts: dict[str, Counter] = field(default_factory=dict)

    def add(self, table: str, outcome: str) -> None:
        self.counts.setdefault(table, Counter())[outcome] += 1

    @property
    def changed(self) -> int:
        return sum(c["created"] + c["updated"] + c["deactivated"] for c in self.counts.values())

    def summary(self) -> str:
        parts = []
        for table, counter in self.counts.items():
            detail = ", ".join(f"{counter[k]} {k}" for k in ("created", "updated", "unchanged", "deactivated"))
            parts.append(f"{table}: {detail}")
        return "; ".join(parts)


def _read(path: Path, required: set[str]) -> list[dict[str, str]]:
    if not path.exists():
        raise CatalogueError(f"{path} is missing.")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = required - set(reader.fieldnames or ())
        if missing:
            raise CatalogueError(f"{path.name} lacks the columns {', '.join(sorted(missing))}.")
        rows = [{key: (value or "").strip() for key, value in row.items()} for row in reader]
    for number, row in enumerate(rows, start=2):
        if not all(row[column] for column in required - {"hazard"}):
            raise CatalogueError(f"{path.name} line {number} has an empty required value: {row}.")
    return rows


def _sync(model, key: str, wanted: dict[str, dict], result: LoadResult, table: str) -> dict[str, models.Model]:
    """Make `model`'s rows match `wanted` (key -> field values); return key -> instance."""
    existing = {getattr(obj, key): obj for obj in model.objects.all()}
    # New rows in one statement: a first load writes the whole catalogue (as every test's fixture does).
    # bulk_create skips save(), whose only addition, touching sync parents, the catalogue's tables lack.
    created = model.objects.bulk_create(
        [model(**{key: code}, **values) for code, values in wanted.items() if code not in existing]
    )
    for obj in created:
        existing[getattr(obj, key)] = obj
        result.add(table, "created")
    new_keys = {getattr(obj, key) for obj in created}
    for code, values in wanted.items():
        if code in new_keys:
            continue
        obj = existing[code]
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.save(update_fields=changed)
            result.add(table, "updated")
        else:
            result.add(table, "unchanged")
    if hasattr(model, "active"):
        for code, obj in existing.items():
            if code not in wanted and obj.active:
                obj.active = False
                obj.save(update_fields=["active"])
                result.add(table, "deactivated")
    return existing


@transaction.atomic
def load_catalogue(directory: Path, *, ministry_table: MinistryTable | None = None) -> LoadResult:
    result = LoadResult()

    divisions = _read(directory / "guizhou_divisions.csv", {"code", "name_zh", "name_en"})
    _sync(
        Division,
        "code",
        {
            row["code"]: {"name_zh": row["name_zh"], "name_en": row["name_en"], "province_code": row["code"][:2]}
            for row in divisions
        },
        result,
        "divisions",
    )

    methods = _read(directory / "management_methods.csv", {"code", "kind", "name_zh", "name_en"})
    for row in methods:
        if row["kind"] not in MethodKind.values:
            raise CatalogueError(f"management_methods.csv: {row['code']} has unknown kind {row['kind']!r}.")
    _sync(
        ManagementMethod,
        "code",
        {
            row["code"]: {"kind": row["kind"], "name_zh": row["name_zh"], "name_en": row["name_en"], "active": True}
            for row in methods
        },
        result,
        "methods",
    )

    codes = _read(directory / "waste_codes.csv", {"code", "waste_class", "category", "hazard", "name_zh", "name_en"})
    if ministry_table is not None:
        codes = _merge(codes, read_ministry_table(ministry_table))
    categories = {
        row["category"]: {"name_zh": row["name_zh"], "name_en": row["name_en"], "active": True}
        for row in _read(directory / "hw_categories.csv", {"category", "name_zh", "name_en"})
    }
    today = timezone.localdate()
    wanted_codes: dict[str, dict[str, Any]] = {}
    for row in codes:
        if row["waste_class"] not in WasteClass.values:
            raise CatalogueError(f"waste_codes.csv: {row['code']} has unknown class {row['waste_class']!r}.")
        if row["waste_class"] != WasteClass.GENERAL:
            check_hazardous_code(row["code"], row["category"])
        # General industrial classes (SW01..SW59) are both category and code: the code row names them.
        categories.setdefault(row["category"], {"name_zh": row["name_zh"], "name_en": row["name_en"], "active": True})
        valid_from, valid_to = _date(row, "valid_from"), _date(row, "valid_to")
        if valid_from and valid_to and valid_from >= valid_to:
            raise CatalogueError(f"{row['code']}: valid_from {valid_from} is not before valid_to {valid_to}.")
        wanted_codes[row["code"]] = {
            "waste_class": row["waste_class"],
            "category": row["category"],
            "hazard": normalise_hazard(row["hazard"], row["code"]),
            "name_zh": row["name_zh"],
            "name_en": row["name_en"],
            "industry_source": row.get("industry_source", ""),
            "editions": row.get("editions", ""),
            "valid_from": valid_from,
            "valid_to": valid_to,
            "source": row.get("source", ""),
            # A code a later edition withdrew stays readable on old records but is offered no more.
            "active": valid_to is None or valid_to > today,
        }
    category_rows = _sync(WasteCategory, "code", categories, result, "categories")
    for values in wanted_codes.values():
        values["category_id"] = category_rows[str(values.pop("category"))].pk
    _sync(WasteCode, "code", wanted_codes, result, "codes")
    return result


def check_hazardous_code(code: str, category: str) -> None:
    """Refuse a hazardous or medical code that is not NNN-NNN-NN with its category in the last two digits."""
    match = HAZARDOUS_CODE.match(code)
    if match is None:
        raise CatalogueError(f"{code} is not an 8-digit hazardous waste code (NNN-NNN-NN).")
    if category != f"HW{match.group(3)}":
        raise CatalogueError(f"{code} ends in {match.group(3)} but is filed under {category}.")
    industry = match.group(1)
    if industry != NON_SPECIFIC_INDUSTRY and int(industry[:2]) not in INDUSTRY_DIVISIONS:
        raise CatalogueError(f"{code} starts with {industry}, which is no GB/T 4754 industry group nor 900.")


def normalise_hazard(value: str, code: str) -> str:
    """The list writes "T,I", "T/I" or "T、I"; the catalogue stores "T/I"."""
    letters = [part.strip() for part in re.split(r"[,，、/;；\s]+", value) if part.strip()]
    unknown = [letter for letter in letters if letter not in HAZARD_LETTERS]
    if unknown:
        raise CatalogueError(f"{code}: unknown hazard characteristic {', '.join(unknown)} (use T, C, I, R, In).")
    return "/".join(letters)


def _date(row: dict[str, str], column: str) -> date | None:
    value = row.get(column, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CatalogueError(f"{row['code']}: {column} {value!r} is not a date (YYYY-MM-DD).") from None


def read_ministry_table(table: MinistryTable) -> list[dict[str, str]]:
    """Rows of the ministry's table as rows of waste_codes.csv.

    The published table merges the cells of a category and of an industry source over their rows; a blank
    category or industry source therefore repeats the one above. A cell with several codes' worth of
    text is not split: each code has its own row in the table.
    """
    raw = _ministry_rows(table.path)
    rows: list[dict[str, str]] = []
    category = industry_source = ""
    for number, cells in enumerate(raw, start=2):
        if not any(cells.values()):
            continue
        category_cell = re.search(r"HW\d{2}", cells["category"])
        if cells["category"] and category_cell is None:
            raise CatalogueError(f"{table.path.name} line {number}: category {cells['category']!r} is not HWnn.")
        if category_cell is not None and category_cell.group(0) != category:
            category, industry_source = category_cell.group(0), ""
        industry_source = cells["industry_source"] or industry_source
        if not (category and cells["code"] and cells["name_zh"]):
            raise CatalogueError(f"{table.path.name} line {number} lacks a category, code or description.")
        rows.append(
            {
                "code": cells["code"],
                "waste_class": WasteClass.MEDICAL if category == "HW01" else WasteClass.HAZARDOUS,
                "category": category,
                "hazard": cells["hazard"],
                "name_zh": cells["name_zh"],
                "name_en": "",
                "industry_source": industry_source,
                "editions": table.edition,
                "valid_from": table.valid_from.isoformat(),
                "valid_to": "",
                "source": table.source or table.path.name,
            }
        )
    if not rows:
        raise CatalogueError(f"{table.path.name} holds no codes.")
    return rows


def _ministry_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise CatalogueError(f"{path} is missing.")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook  # Only a province loading the official spreadsheet needs it.

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        grid = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            grid = list(csv.reader(handle))
    # The official file may open with a title line: the header is the first row naming every column.
    for index, header in enumerate(grid):
        names = [re.sub(r"\s+", "", name) for name in header]
        if set(MINISTRY_COLUMNS) <= set(names):
            positions = {MINISTRY_COLUMNS[name]: names.index(name) for name in MINISTRY_COLUMNS}
            return [
                {key: (row[at] if at < len(row) else "").strip() for key, at in positions.items()}
                for row in grid[index + 1 :]
            ]
    raise CatalogueError(f"{path.name} lacks the columns {', '.join(MINISTRY_COLUMNS)}.")


def _merge(codes: list[dict[str, str]], table: list[dict[str, str]]) -> list[dict[str, str]]:
    """The table's rows replace the CSV's for the same code; the CSV keeps its English name and editions."""
    merged = {row["code"]: row for row in codes}
    for row in table:
        known = merged.get(row["code"])
        if known is not None:
            editions = sorted({*filter(None, known.get("editions", "").split(";")), row["editions"]})
            row = {
                **row,
                "name_en": known["name_en"],
                "editions": ";".join(editions),
                "valid_from": min(filter(None, [known.get("valid_from", ""), row["valid_from"]])),
                "valid_to": known.get("valid_to", ""),
            }
        merged[row["code"]] = row
    return list(merged.values())
