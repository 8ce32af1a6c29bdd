"""Loading the waste catalogue and the division codes from the reference CSV files.

The files are data: a catalogue correction is an edit to a CSV and a rerun of `load_catalogue`, never a
code change. Loading is idempotent: a row is written only when it differs, and entries that disappeared
from the files are deactivated (they may be referenced by records that must be kept for 10 years).
"""

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction

from .models import Division, ManagementMethod, MethodKind, WasteCategory, WasteClass, WasteCode


class CatalogueError(ValueError):
    pass


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
    for code, values in wanted.items():
        obj = existing.get(code)
        if obj is None:
            existing[code] = model.objects.create(**{key: code}, **values)
            result.add(table, "created")
            continue
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
def load_catalogue(directory: Path) -> LoadResult:
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
    categories = {
        row["category"]: {"name_zh": row["name_zh"], "name_en": row["name_en"], "active": True}
        for row in _read(directory / "hw_categories.csv", {"category", "name_zh", "name_en"})
    }
    for row in codes:
        if row["waste_class"] not in WasteClass.values:
            raise CatalogueError(f"waste_codes.csv: {row['code']} has unknown class {row['waste_class']!r}.")
        # General industrial classes (SW01..SW59) are both category and code: the code row names them.
        categories.setdefault(row["category"], {"name_zh": row["name_zh"], "name_en": row["name_en"], "active": True})
    category_rows = _sync(WasteCategory, "code", categories, result, "categories")

    _sync(
        WasteCode,
        "code",
        {
            row["code"]: {
                "waste_class": row["waste_class"],
                "category_id": category_rows[row["category"]].pk,
                "hazard": row["hazard"],
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "active": True,
            }
            for row in codes
        },
        result,
        "codes",
    )
    return result
