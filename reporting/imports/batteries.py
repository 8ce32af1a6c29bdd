"""The waste lead-acid battery collection platform's export: its collection and transfer records.

The real platform's column layout is not published where this was written. COLUMNS below is the layout
assumed here (docs/imports.md); it is data, in this one place, and must be confirmed against a real
export before the import is used in earnest. Each field accepts its Chinese and its English header.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from wasteparks.parsing import AmbiguousNumber, catalogue_code, decimal_text

from ..models.imports import RecordKind

# field -> the headers that name it in an export (compared after trimming, case-insensitively).
COLUMNS: dict[str, tuple[str, ...]] = {
    "record_id": ("记录编号", "record_id"),
    "kind": ("业务类型", "kind"),
    "date": ("日期", "date"),
    "enterprise": ("收集单位统一社会信用代码", "collector_credit_code"),
    "receiver": ("接收单位统一社会信用代码", "receiver_credit_code"),
    "waste_code": ("废物代码", "waste_code"),
    "quantity_t": ("数量（吨）", "quantity_t"),
    "manifest": ("联单编号", "manifest_number"),
}
REQUIRED = ("record_id", "kind", "date", "enterprise", "waste_code", "quantity_t")

# The platform's words for its two record kinds.
KINDS: dict[str, str] = {
    "收集": RecordKind.COLLECTION,
    "collection": RecordKind.COLLECTION,
    "转移": RecordKind.TRANSFER,
    "transfer": RecordKind.TRANSFER,
}

# The codes this platform may carry, as written in the National Hazardous Waste List
# (registry/reference/waste_codes.csv): HW31 900-052-31, waste lead-acid batteries and their parts.
WASTE_CODES = ("900-052-31",)
# The platform may prefix the category ("HW31 900-052-31"); the eight-digit code is what we compare.
_CODE = re.compile(r"\d{3}-\d{3}-\d{2}")


@dataclass(frozen=True)
class BatteryRecord:
    record_id: str
    kind: str
    occurred_on: dt.date
    enterprise_credit_code: str
    receiver_credit_code: str
    waste_code: str
    quantity_t: Decimal
    manifest_number: str


class RowProblem(ValueError):
    """One row cannot be read; the message is the per-row reason shown in the import report."""


def column_map(header: list[str]) -> tuple[dict[str, str], list[str]]:
    """(field -> header as written in the file, problems). Problems name each required column that is
    missing and each column the layout does not know, so the officer sees the whole picture at once."""
    wanted = {alias.casefold(): field for field, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, str] = {}
    problems: list[str] = []
    for name in header:
        field = wanted.get(unicodedata.normalize("NFKC", name).strip().casefold()) or wanted.get(name.casefold())
        if field is None:
            problems.append(_("Unknown column “%(name)s”.") % {"name": name})
        elif field in found:
            problems.append(_("Column “%(name)s” appears twice.") % {"name": name})
        else:
            found[field] = name
    for field in REQUIRED:
        if field not in found:
            problems.append(_("Missing column “%(name)s”.") % {"name": COLUMNS[field][0]})
    return found, problems


def parse_row(row: dict[str, str], columns: dict[str, str]) -> BatteryRecord:
    def value(field: str) -> str:
        return unicodedata.normalize("NFKC", row.get(columns.get(field, ""), "") or "").strip()

    record_id = value("record_id")
    if not record_id or len(record_id) > 64:
        raise RowProblem(_("The record id is empty or longer than 64 characters."))
    kind = KINDS.get(value("kind").casefold())
    if kind is None:
        raise RowProblem(_("Unknown record kind “%(kind)s”.") % {"kind": value("kind")})
    try:
        occurred_on = dt.date.fromisoformat(value("date").replace("/", "-")[:10])
    except ValueError:
        raise RowProblem(_("The date “%(date)s” is not a date (YYYY-MM-DD).") % {"date": value("date")}) from None
    match = _CODE.search(catalogue_code(value("waste_code")))
    if match is None:
        raise RowProblem(_("“%(code)s” is not a waste code.") % {"code": value("waste_code")})
    try:
        quantity = Decimal(decimal_text(value("quantity_t")))
    except (InvalidOperation, AmbiguousNumber):
        raise RowProblem(_("The quantity “%(q)s” is not a number.") % {"q": value("quantity_t")}) from None
    if not quantity.is_finite() or quantity <= 0 or quantity != quantity.quantize(Decimal("0.0001")):
        raise RowProblem(_("The quantity must be above zero with at most four decimals."))
    if quantity >= Decimal("1e10"):
        raise RowProblem(_("The quantity is implausibly large."))
    return BatteryRecord(
        record_id=record_id,
        kind=kind,
        occurred_on=occurred_on,
        enterprise_credit_code=value("enterprise").upper(),
        receiver_credit_code=value("receiver").upper(),
        waste_code=match.group(0),
        quantity_t=quantity,
        manifest_number=value("manifest"),
    )
