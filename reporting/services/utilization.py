"""Utilization-rate snapshots: services.

Counting rules (DESIGN 5.6; where the design is silent the choice is stated)
---------------------------------------------------------------------------
Every figure is first worked out per (enterprise, waste code) and only then added up into the rows of
an enterprise, its park and its province, per waste class and per category (and for all categories of
the class). Months are calendar months in the platform's zone (Asia/Shanghai; wasteparks.periods).

- generated: the enterprise's own `generated` ledger entries in the month.
- utilized / disposed, attributed to the enterprise that generated the waste:
  - its own in-house treatment: `utilized_in_house` / `disposed_in_house` entries that are not tied to
    a manifest line, in the month they occurred;
  - what it shipped: manifest lines where it is the consignor and the receiver has recorded treatment,
    by the kind of the line's treatment method (utilization / disposal; storage counts as neither),
    for the treated quantity, in the month of `treated_at` (when the receiver recorded it, not when
    the load left).
  The receiver's own treatment entries for a manifest line are *not* counted for the receiver: the
  tonnes belong to the consignor. So a park's and a province's totals (sums over their enterprises)
  count every tonne once, at the generator, even when the receiver is in another park or province.
- stored_end: stock physically held at month end (the signed sum of all the enterprise's ledger
  entries up to then), whoever generated it. Waste in transit is in nobody's store.
- utilized from prior years' storage (approximation, FIFO on aggregates): the enterprise's backlog
  from earlier years is B = generated − utilized − disposed before 1 January of the period's year
  (attributed as above; waste shipped but not yet treated is still backlog), floored at 0. This year's
  utilization is assumed to draw on B first: by the end of month m, min(B, U₁..ₘ) tonnes of backlog
  have been utilized, so month m's share is min(B, U₁..ₘ) − min(B, U₁..ₘ₋₁).
  `treated_from_prior_storage` is the same with utilized + disposed, for the hazardous formula.
- rates (per row): utilization = utilized / (generated + utilized_from_prior_storage) × 100 %;
  utilization and disposal = (utilized + disposed) / (generated + treated_from_prior_storage) × 100 %.
  None when the denominator is 0. The headline rate of a row is the first for general industrial solid
  waste and the second for hazardous and medical waste.
- year-to-date and rolling 12-month figures are not stored: they are sums over the monthly rows,
  computed in SQL when read (`UtilizationSnapshot.objects.window_totals(window)`, and `with_windows()`
  beside each row), and their rates are sums of numerators over sums of denominators (`window_rates`).

Worked example (tests/reporting/test_utilization_rates.py): X in park A generated 20 t of general
waste in 2024 and utilized 5 t in house; in March 2025 it generates 100 t, utilizes 30 t in house and
ships 40 t to receiver Q in park B, which records R-method utilization of 40 t in April. March: X
generated 100, utilized 30 + 0; backlog B = 15 so 15 t of the 30 count as from prior storage; rate
30 / (100 + 15) = 26.0870 %. April: utilized 40 (the shipment), prior storage 0 (backlog used up),
generated 0, rate None for the month; park A and the province count the 40 t once, park B not at all.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Division, Enterprise, ManagementMethod, MethodKind, Park, WasteCategory, WasteCode
from transfers.models import INFLOW_STAGES, LedgerEntry, LedgerStage, Manifest, ManifestLine
from wasteparks.errors import DomainError
from wasteparks.periods import Period

from ..models.utilization import SnapshotScope, UtilizationSnapshot


class PeriodNotComputable(DomainError):
    """A recompute asked for a month that has not begun, or for a park that does not exist."""

    code = "period_not_computable"


@dataclass(frozen=True)
class RecomputeResult:
    year: int
    month: int
    park_id: int | None
    rows: int
    computed_at: datetime


# --- periods --------------------------------------------------------------------------------------


def check_period(*, year: int, month: int, now: datetime | None = None) -> Period:
    """The month to compute, if it can be: a calendar month that has begun (local zone)."""
    if not (1 <= month <= 12) or not (2000 <= year <= 9999):
        raise PeriodNotComputable(
            _("%(year)s-%(month)s is not a valid month.") % {"year": year, "month": month},
            code="invalid_period",
            fields={"period": [_("Give a year and a month from 1 to 12.")]},
        )
    period = Period.month_of(year, month)
    if period > Period.containing(now):
        raise PeriodNotComputable(
            _("%(year)d-%(month)02d is in the future: only months that have begun can be computed.")
            % {"year": year, "month": month},
            code="period_in_future",
            fields={"period": [_("Choose the current month or an earlier one.")]},
        )
    return period


def resolve_park(park_id: int) -> Park:
    park = Park.objects.select_related("division").filter(pk=park_id).first()
    if park is None:
        raise PeriodNotComputable(
            _("There is no park with id %(id)s.") % {"id": park_id},
            code="park_not_found",
            fields={"park": [_("Choose an existing park.")]},
        )
    return park


# --- the computation ------------------------------------------------------------------------------

_FIGURES = ("generated", "utilized", "disposed", "stored_end", "u_prior", "t_prior")


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _when(value: datetime):
    # Raw SQL bypasses the ORM's adaptation; SQLite stores naive UTC text, PostgreSQL takes aware times.
    return connection.ops.adapt_datetimefield_value(value)


def _snapshot_sql(
    *, period: Period, province_code: str | None, park_id: int | None, computed_at: datetime
) -> tuple[str, list]:
    """One INSERT ... SELECT writing the month's rows: per (enterprise, code) figures, then the six
    groupings (enterprise / park / province × category / all categories), each only for the subjects
    being recomputed, with the subject key, the category code and both rates worked out in SQL."""
    start, end = period.start, period.end
    year_start = period.year_to_date().start
    inflows = ", ".join(f"'{stage}'" for stage in sorted(INFLOW_STAGES))
    params: list = []

    enterprise_filter = ""
    enterprise_params: list = []
    if province_code is not None:
        enterprise_filter = (
            # Only table names and constants are interpolated into this SQL; every value is a parameter.
            f"IN (SELECT e2.id FROM {_table(Enterprise)} e2 JOIN {_table(Park)} p2 ON p2.id = e2.park_id "  # noqa: S608
            f"JOIN {_table(Division)} d2 ON d2.id = p2.division_id WHERE d2.province_code = %s)"
        )
        enterprise_params = [province_code]

    ledger_where = "le.occurred_at < %s"
    params.append(_when(end))
    if enterprise_filter:
        ledger_where += f" AND le.enterprise_id {enterprise_filter}"
        params += enterprise_params
    manifest_where = "ml.treated_at IS NOT NULL AND ml.treated_at < %s"
    params.append(_when(end))
    if enterprise_filter:
        manifest_where += f" AND m.consignor_id {enterprise_filter}"
        params += enterprise_params
    params += [_when(start)] * 3 + [_when(year_start)] + [_when(year_start), _when(start)] * 2

    # Figures are rounded to the column's 4 places before the rates are worked out from them (a no-op on
    # PostgreSQL's exact sums; SQLite sums in floating point). ROUND is half away from zero, as rate_pct.
    sums = ", ".join(f"ROUND(SUM({figure}), 4)" for figure in _FIGURES)
    branches = []
    levels = (
        (SnapshotScope.ENTERPRISE, "enterprise_id", "park_id", "province_code"),
        (SnapshotScope.PARK, "NULL", "park_id", "province_code"),
        (SnapshotScope.PROVINCE, "NULL", "NULL", "province_code"),
    )
    for scope, enterprise_col, park_col, province_col in levels:
        where = "1 = 1"
        if park_id is not None and scope != SnapshotScope.PROVINCE:
            where = "park_id = %s"
        for category_col in ("category_id", "NULL"):
            group = [
                col for col in (enterprise_col, park_col, province_col, "waste_class", category_col) if col != "NULL"
            ]
            branches.append(
                f"SELECT '{scope}', {enterprise_col}, {park_col}, {province_col}, waste_class, {category_col}, "  # noqa: S608
                f"{sums} FROM facts WHERE {where} GROUP BY {', '.join(group)}"
            )
            if park_id is not None and scope != SnapshotScope.PROVINCE:
                params.append(park_id)
    params += [_when(computed_at)] * 3 + [period.year, period.month, period.first_index]
    grouped = "\n        UNION ALL\n        ".join(branches)

    # Table names and constants only are interpolated; every value is a query parameter.
    sql = f"""
    INSERT INTO {_table(UtilizationSnapshot)} (
        created_at, updated_at, computed_at, year, month, month_index,
        scope, enterprise_id, park_id, province_code, subject_key, waste_class, category_id, category_code,
        generated_t, utilized_t, disposed_t, stored_end_t, utilized_from_prior_storage_t,
        treated_from_prior_storage_t, utilization_rate_pct, utilization_disposal_rate_pct
    )
    WITH events AS (
        SELECT le.enterprise_id AS enterprise_id, le.waste_code_id AS waste_code_id, le.occurred_at AS at,
            CASE WHEN le.stage = '{LedgerStage.GENERATED}' THEN le.quantity_t ELSE 0 END AS g,
            CASE WHEN le.stage = '{LedgerStage.UTILIZED_IN_HOUSE}' AND le.manifest_line_id IS NULL
                THEN le.quantity_t ELSE 0 END AS u,
            CASE WHEN le.stage = '{LedgerStage.DISPOSED_IN_HOUSE}' AND le.manifest_line_id IS NULL
                THEN le.quantity_t ELSE 0 END AS d,
            CASE WHEN le.stage IN ({inflows}) THEN le.quantity_t ELSE -le.quantity_t END AS s
        FROM {_table(LedgerEntry)} le
        WHERE {ledger_where}
        UNION ALL
        SELECT m.consignor_id, ml.waste_code_id, ml.treated_at,
            0,
            CASE WHEN mm.kind = '{MethodKind.UTILIZATION}' THEN ml.treated_quantity_t ELSE 0 END,
            CASE WHEN mm.kind = '{MethodKind.DISPOSAL}' THEN ml.treated_quantity_t ELSE 0 END,
            0
        FROM {_table(ManifestLine)} ml
        JOIN {_table(Manifest)} m ON m.id = ml.manifest_id
        JOIN {_table(ManagementMethod)} mm ON mm.id = ml.treatment_method_id
        WHERE {manifest_where}
    ),
    base AS (
        SELECT enterprise_id, waste_code_id,
            SUM(CASE WHEN at >= %s THEN g ELSE 0 END) AS generated,
            SUM(CASE WHEN at >= %s THEN u ELSE 0 END) AS utilized,
            SUM(CASE WHEN at >= %s THEN d ELSE 0 END) AS disposed,
            SUM(s) AS stored_end,
            SUM(CASE WHEN at < %s THEN g - u - d ELSE 0 END) AS backlog,
            SUM(CASE WHEN at >= %s AND at < %s THEN u ELSE 0 END) AS u_before,
            SUM(CASE WHEN at >= %s AND at < %s THEN u + d ELSE 0 END) AS t_before
        FROM events
        GROUP BY enterprise_id, waste_code_id
    ),
    carry AS (
        SELECT base.*, CASE WHEN backlog > 0 THEN backlog ELSE 0 END AS c FROM base
    ),
    facts AS (
        SELECT carry.enterprise_id, wc.waste_class, wc.category_id, e.park_id, d.province_code,
            generated, utilized, disposed, stored_end,
            (CASE WHEN u_before + utilized < c THEN u_before + utilized ELSE c END)
                - (CASE WHEN u_before < c THEN u_before ELSE c END) AS u_prior,
            (CASE WHEN t_before + utilized + disposed < c THEN t_before + utilized + disposed ELSE c END)
                - (CASE WHEN t_before < c THEN t_before ELSE c END) AS t_prior
        FROM carry
        JOIN {_table(WasteCode)} wc ON wc.id = carry.waste_code_id
        JOIN {_table(Enterprise)} e ON e.id = carry.enterprise_id
        JOIN {_table(Park)} p ON p.id = e.park_id
        JOIN {_table(Division)} d ON d.id = p.division_id
        WHERE generated <> 0 OR utilized <> 0 OR disposed <> 0 OR stored_end <> 0
    ),
    grouped (scope, enterprise_id, park_id, province_code, waste_class, category_id, {", ".join(_FIGURES)}) AS (
        {grouped}
    )
    SELECT %s, %s, %s, %s, %s, %s,
        g.scope, g.enterprise_id, g.park_id, g.province_code,
        CASE g.scope WHEN '{SnapshotScope.ENTERPRISE}' THEN 'enterprise:' || g.enterprise_id
            WHEN '{SnapshotScope.PARK}' THEN 'park:' || g.park_id ELSE 'province:' || g.province_code END,
        g.waste_class, g.category_id, COALESCE(c.code, ''),
        {", ".join(f"g.{figure}" for figure in _FIGURES)},
        CASE WHEN g.generated + g.u_prior = 0 THEN NULL
            ELSE ROUND(g.utilized * 100.0 / (g.generated + g.u_prior), 4) END,
        CASE WHEN g.generated + g.t_prior = 0 THEN NULL
            ELSE ROUND((g.utilized + g.disposed) * 100.0 / (g.generated + g.t_prior), 4) END
    FROM grouped g
    LEFT JOIN {_table(WasteCategory)} c ON c.id = g.category_id
    """  # noqa: S608
    return sql, params


def _write_snapshots(sql: str, params: list) -> int:
    """Run the INSERT ... SELECT; the number of rows written."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _lock_parks(queryset) -> None:
    # Two recomputes touching the same province's rows are serialised on the parks' rows (in id order,
    # so they cannot deadlock); otherwise both would delete and both insert the province's row.
    list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def recompute_period(
    *, year: int, month: int, park: Park | None = None, now: datetime | None = None
) -> RecomputeResult:
    """Replace the snapshots of one month: every subject, or one park's enterprises, the park and its
    province. Delete and insert run in one transaction, so a failure leaves the previous rows, and a
    rerun over unchanged data writes the same figures. The rows are computed and written by the database
    in one statement (bench/RESULTS.md, B3): nothing goes through Python row by row."""
    period = check_period(year=year, month=month, now=now)
    computed_at = now or timezone.now()
    province_code = park.division.province_code if park is not None else None

    if park is not None:
        _lock_parks(Park.objects.in_province(park.division.province_code))
    else:
        _lock_parks(Park.objects.all())

    stale = UtilizationSnapshot.objects.for_period(period)
    if park is not None:
        stale = stale.filter(
            Q(scope=SnapshotScope.PROVINCE, province_code=province_code) | Q(park=park) | Q(enterprise__park=park)
        )
    stale.delete()
    sql, params = _snapshot_sql(
        period=period,
        province_code=province_code,
        park_id=park.pk if park is not None else None,
        computed_at=computed_at,
    )
    rows = _write_snapshots(sql, params)
    return RecomputeResult(
        year=year, month=month, park_id=park.pk if park else None, rows=rows, computed_at=computed_at
    )


def recompute_recent_months(*, now: datetime | None = None) -> list[RecomputeResult]:
    """The nightly job: the previous month (late entries and treatments still arrive) and this one."""
    current = Period.containing(now)
    return [recompute_period(year=p.year, month=p.month, now=now) for p in (current.previous(), current)]


def refresh_park_period(*, park: Park, year: int, month: int, now: datetime | None = None) -> RecomputeResult | None:
    """Recompute one park's month if that month has been computed already; None if it has not.

    Called once a monthly report is accepted: the moment officers expect the park's figures to be
    current. A month never computed is left alone: one park's rows alone would show a province without
    its other parks; the nightly job and an officer's recompute compute whole months.
    """
    period = check_period(year=year, month=month, now=now)
    if not UtilizationSnapshot.objects.for_period(period).exists():
        return None
    return recompute_period(year=year, month=month, park=park, now=now)


def recompute_year(*, year: int, park: Park | None = None, now: datetime | None = None, progress=None):
    """Every month of a year that has begun, one transaction per month. `progress(done, total)` is
    called after each month."""
    current = Period.containing(now)
    if year > current.year:
        check_period(year=year, month=1, now=now)
    months = [month for month in Period.year_of(year).months() if month <= current]
    results = []
    for done, month in enumerate(months, start=1):
        results.append(recompute_period(year=month.year, month=month.month, park=park, now=now))
        if progress is not None:
            progress(done, len(months))
    return results
