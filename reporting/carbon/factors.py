"""Loading the carbon factor table as a new edition; bad rows are refused with their reasons, nothing is written."""

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from registry.models import ManagementMethod, WasteCategory, WasteCode
from wasteparks.errors import RuleViolation

from ..models.carbon import CarbonFactor, CarbonFactorEdition, FactorKind

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "reference" / "carbon_factors.csv"
COLUMNS = ["route", "replaces", "factor_t_co2e_per_unit", "kind", "unit", "source", "url", "note"]


class FactorTableError(RuleViolation):
    """The table has rows that cannot be loaded; `reasons` lists them by line."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass(frozen=True)
class LoadResult:
    edition: CarbonFactorEdition
    count: int


def _route_reason(route: str, kind: str) -> str | None:
    head, _sep, tail = route.partition(":")
    if not tail:
        return f"route {route!r} is not <code>:<method> or transport:<mode>"
    if kind == FactorKind.TRANSPORT:
        return None if head == "transport" else f"transport route {route!r} must start with transport:"
    if not ManagementMethod.objects.filter(code=tail).exists():
        return f"unknown management method {tail!r}"
    if not (WasteCode.objects.filter(code=head).exists() or WasteCategory.objects.filter(code=head).exists()):
        return f"unknown waste code or category {head!r}"
    return None


@transaction.atomic
def load_factors(*, path: Path = DEFAULT_PATH, edition: str) -> LoadResult:
    """Read the table into a new edition named `edition`; an existing edition is never rewritten."""
    if CarbonFactorEdition.objects.filter(label=edition).exists():
        raise FactorTableError([f"edition {edition!r} exists already; load a new edition instead"])
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise FactorTableError([f"columns must be {','.join(COLUMNS)}"])
        rows = list(reader)
    reasons: list[str] = []
    factors: list[CarbonFactor] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        route, kind = row["route"].strip(), row["kind"].strip()
        problems = []
        if kind not in FactorKind.values:
            problems.append(f"kind must be one of {', '.join(FactorKind.values)}")
        elif reason := _route_reason(route, kind):
            problems.append(reason)
        if route in seen:
            problems.append(f"route {route!r} appears twice")
        seen.add(route)
        try:
            factor = Decimal(row["factor_t_co2e_per_unit"].strip())
        except InvalidOperation:
            problems.append("factor is not a number")
            factor = Decimal(0)
        else:
            if factor <= 0:
                problems.append("factor must be above zero")
        if not row["source"].strip():
            problems.append("source is missing")
        if not row["unit"].strip():
            problems.append("unit is missing")
        if problems:
            reasons.append(f"line {line}: {'; '.join(problems)}")
            continue
        factors.append(
            CarbonFactor(
                route=route,
                kind=kind,
                replaces=row["replaces"].strip(),
                factor=factor,
                unit=row["unit"].strip(),
                source=row["source"].strip(),
                url=row["url"].strip(),
                note=row["note"].strip(),
            )
        )
    if reasons:
        raise FactorTableError(reasons)
    record = CarbonFactorEdition.objects.create(label=edition, loaded_from=str(path))
    for factor_row in factors:
        factor_row.edition = record
    CarbonFactor.objects.bulk_create(factors)
    return LoadResult(edition=record, count=len(factors))


def current_edition() -> CarbonFactorEdition | None:
    return CarbonFactorEdition.objects.order_by("-id").first()
