"""Utilization-rate snapshots: services.

The definition (national statistics, DESIGN 5.6)
------------------------------------------------
The national bureau of statistics and the ministry of ecology and environment define the comprehensive
utilization rate of general industrial solid waste (一般工业固体废物综合利用率) as

    综合利用量 / (产生量 + 综合利用往年贮存量) × 100 %
    utilized / (generated + utilized from prior years' storage) × 100 %

and keep the balance 产生量 = (综合利用量 − 其中综合利用往年贮存量) + 贮存量 + (处置量 − 其中处置往年贮存量)
+ 倾倒丢弃量: the year's utilization and disposal are credited to the year's own generation first, and
only what goes beyond the year's generation counts as taken from prior years' storage. For hazardous and
medical waste the rate is (utilized + disposed) / (generated + utilized or disposed from prior years'
storage), counted the same way.

Worked example (coal gangue, SW04; tests/reporting/test_utilization_national_definition.py): enterprise
X generates 50,000 t of coal gangue every month of 2024 and 2025, utilizes 34,435 t of it in house and
puts 15,565 t on its yard. Each year: generated 600,000 t, utilized 413,220 t, stored 186,780 t.
  2024: 413,220 / 600,000 = 68.87 %.
  2025: the year's utilization (413,220 t) stays below its own generation (600,000 t), so none of it
        is from prior years' storage although 186,780 t lie on the yard: 413,220 / 600,000 = 68.87 %.
        Identical flows give the same rate every year.
Crediting the stored 186,780 t first instead ("backlog first", the rule this module used before) gave
2025 413,220 / (600,000 + 186,780) = 52.52 %, 16 points below the published definition.
The crediting is per enterprise and code, then added up: a park or a province can show utilization from
prior storage while it generated more than it utilized, as the national figures do (coal gangue of the
key surveyed enterprises in 2018: 350 Mt generated, 190 Mt utilized of which 3.808 Mt from prior
storage, 53.7 %; reproduced in the same test file).

Counting rules (where the design is silent the choice is stated)
-----------------------------------------------------------------
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
- utilized from prior years' storage, month by month: the backlog from earlier years is
  B = generated − utilized − disposed before 1 January of the period's year (attributed as above; waste
  shipped but not yet treated is still backlog), floored at 0. Let A(k) be the year's utilization beyond
  its own generation by the end of month k: U₁..ₖ − G₁..ₖ (negative while generation is ahead). By the
  end of month m, min(B, max(0, A(1), …, A(m))) tonnes have come from prior storage, and month m's share
  is that less the same at the end of month m − 1. The year to date is then the yearly definition,
  min(B, max(0, A(m))), whenever A(m) is the highest so far, and always 0 for a year that never utilizes
  more than it has generated. The one difference is a year that utilizes early and generates later
  (January takes 10 t off the yard, February generates 100 t): January's 10 t did come from prior
  storage (there was nothing of the year's own yet) and stay counted so, where the year's totals alone
  would show none. The running maximum keeps every month's share at or above 0, so windows add up.
  `treated_from_prior_storage` is the same with utilized + disposed, for the hazardous formula.
- rates (per row): utilization = utilized / (generated + utilized_from_prior_storage) × 100 %;
  utilization and disposal = (utilized + disposed) / (generated + treated_from_prior_storage) × 100 %.
  None when the denominator is 0. The headline rate of a row is the first for general industrial solid
  waste and the second for hazardous and medical waste.
- year-to-date and rolling 12-month figures are not stored: they are sums over the monthly rows,
  computed in SQL when read (`UtilizationSnapshot.objects.window_totals(window)`, and `with_windows()`
  beside each row), and their rates are sums of numerators over sums of denominators (`rates_of`).

No figure the ledger can hold stops a recompute
-----------------------------------------------
The rows of every park and province are written by one statement, so one row the columns cannot hold
would abort them all. The statement guards each row instead, by the rules in reporting.models.utilization:
- a rate beyond RATE_BOUND_PCT (10,000 %; the reason is given there) is stored NULL, with `rate_note`
  "rate_beyond_bound";
- a flow (generated, utilized, disposed, from prior storage) below 0 or above the tonnes column
  (TONNES_MAX) is stored at that limit, both rates NULL, note "figures_out_of_range";
- a month-end stock below 0 (a withdrawal back-dated before the generation it drew on) or above the
  column is stored at that limit, note "stock_out_of_range"; the rates do not use it.
Every other row, of the same enterprise or another park, is written as usual.

Worked example of the monthly rows (tests/reporting/test_utilization_rates.py): X in park A generated
20 t of hazardous waste in 2024 and utilized 5 t in house (backlog B = 15 t); in March 2025 it generates
100 t, utilizes 30 t, disposes of 10 t in house and ships 40 t to receiver Q in park B, which records
R-method utilization of 40 t in April. March: generated 100, utilized 30, disposed 10: the year's
treatment (40 t) stays within its generation, so nothing is from prior storage; rates 30 / 100 =
30.0000 % and 40 / 100 = 40.0000 %. April: utilized 40 (the shipment), generated 0, the year's 80 t
treated still within its 100 t generated: prior storage 0, rates None for the month; park A and the
province count the 40 t once, park B not at all.
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

from ..models.utilization import RATE_BOUND_PCT, TONNES_MAX, RateNote, SnapshotScope, UtilizationSnapshot


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
# The figures the rates are worked out from (the stock is not one of them).
_FLOWS = ("generated", "utilized", "disposed", "u_prior", "t_prior")
# What a recompute writes over an existing row: the row keeps its id (a mirror updates it in place).
_REWRITTEN = (
    "updated_at", "computed_at", "enterprise_id", "park_id", "province_code", "category_id",
    "generated_t", "utilized_t", "disposed_t", "stored_end_t", "utilized_from_prior_storage_t",
    "treated_from_prior_storage_t", "utilization_rate_pct", "utilization_disposal_rate_pct", "rate_note",
)  # fmt: skip


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _when(value: datetime):
    # Raw SQL bypasses the ORM's adaptation; SQLite stores naive UTC text, PostgreSQL takes aware times.
    return connection.ops.adapt_datetimefield_value(value)


def _greatest(*terms: str) -> str:
    # PostgreSQL's GREATEST / LEAST; SQLite's MAX / MIN with several arguments are the same scalar functions.
    return f"{'GREATEST' if connection.vendor == 'postgresql' else 'MAX'}({', '.join(terms)})"


def _least(*terms: str) -> str:
    return f"{'LEAST' if connection.vendor == 'postgresql' else 'MIN'}({', '.join(terms)})"


def _out_of_range(figure: str) -> str:
    """SQL: the figure cannot be stored in a tonnes column."""
    return f"({figure} < 0 OR {figure} > {TONNES_MAX})"


def _clamped(figure: str) -> str:
    """SQL: the figure held to what a tonnes column stores (the row's note says when it was not)."""
    return f"CASE WHEN {figure} < 0 THEN 0 WHEN {figure} > {TONNES_MAX} THEN {TONNES_MAX} ELSE {figure} END"


def _beyond_bound(numerator: str, denominator: str) -> str:
    """SQL: the rate would pass RATE_BOUND_PCT (as `_beyond_bound` in reporting.models.utilization)."""
    return f"(({denominator}) <> 0 AND ({numerator}) * 100 > ({denominator}) * {RATE_BOUND_PCT})"


def _rate(numerator: str, denominator: str) -> str:
    """SQL: the stored rate, by `window_rates`' rule: NULL with nothing to divide by, beyond the bound,
    or when the row's flows were out of range."""
    return (
        f"CASE WHEN g.flows_out = 1 OR ({denominator}) = 0 OR {_beyond_bound(numerator, denominator)} THEN NULL "
        f"ELSE ROUND(({numerator}) * 100.0 / ({denominator}), 4) END"
    )


def _snapshot_sql(
    *, period: Period, province_code: str | None, park_id: int | None, computed_at: datetime
) -> tuple[str, list]:
    """One INSERT ... SELECT writing the month's rows: per (enterprise, code) figures, then the six
    groupings (enterprise / park / province × category / all categories), each only for the subjects
    being recomputed, with the subject key, the category code and both rates worked out in SQL."""
    start, end = period.start, period.end
    year_start = period.year_to_date().start
    # The ends of the year's earlier months: where the year's utilization beyond its own generation is
    # measured (the module's docstring).
    month_ends = [month.end for month in period.year_to_date().months()][:-1]
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
    peaks = []
    for beyond in ("u - g", "u + d - g"):
        terms = [f"SUM(CASE WHEN at >= %s AND at < %s THEN {beyond} ELSE 0 END)" for _ in month_ends]
        peaks.append(_greatest("0", *terms) if terms else "0")
        for month_end in month_ends:
            params += [_when(year_start), _when(month_end)]

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
        created_at, updated_at, computed_at, year, month, month_index, sync_version,
        scope, enterprise_id, park_id, province_code, subject_key, waste_class, category_id, category_code,
        generated_t, utilized_t, disposed_t, stored_end_t, utilized_from_prior_storage_t,
        treated_from_prior_storage_t, utilization_rate_pct, utilization_disposal_rate_pct, rate_note
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
            SUM(CASE WHEN at >= %s AND at < %s THEN u - g ELSE 0 END) AS u_beyond,
            SUM(CASE WHEN at >= %s AND at < %s THEN u + d - g ELSE 0 END) AS t_beyond,
            {peaks[0]} AS u_peak,
            {peaks[1]} AS t_peak
        FROM events
        GROUP BY enterprise_id, waste_code_id
    ),
    carry AS (
        SELECT base.*, CASE WHEN backlog > 0 THEN backlog ELSE 0 END AS c FROM base
    ),
    facts AS (
        -- The year's own generation first: from prior storage is only what the year has utilized (or
        -- treated) beyond its generation, at its highest so far (u_peak at the last month end, then this
        -- month), and never more than the backlog c.
        SELECT carry.enterprise_id, wc.waste_class, wc.category_id, e.park_id, d.province_code,
            generated, utilized, disposed, stored_end,
            {_least("c", _greatest("u_peak", "u_beyond + utilized - generated"))} - {_least("c", "u_peak")}
                AS u_prior,
            {_least("c", _greatest("t_peak", "t_beyond + utilized + disposed - generated"))}
                - {_least("c", "t_peak")} AS t_prior
        FROM carry
        JOIN {_table(WasteCode)} wc ON wc.id = carry.waste_code_id
        JOIN {_table(Enterprise)} e ON e.id = carry.enterprise_id
        JOIN {_table(Park)} p ON p.id = e.park_id
        JOIN {_table(Division)} d ON d.id = p.division_id
        WHERE generated <> 0 OR utilized <> 0 OR disposed <> 0 OR stored_end <> 0
    ),
    grouped (scope, enterprise_id, park_id, province_code, waste_class, category_id, {", ".join(_FIGURES)}) AS (
        {grouped}
    ),
    checked AS (
        -- One row the columns cannot hold must not abort the others: flag it here, store it clamped.
        SELECT grouped.*,
            CASE WHEN {" OR ".join(_out_of_range(figure) for figure in _FLOWS)} THEN 1 ELSE 0 END AS flows_out,
            CASE WHEN {_out_of_range("stored_end")} THEN 1 ELSE 0 END AS stock_out
        FROM grouped
    )
    SELECT %s, %s, %s, %s, %s, %s,
        -- The database stamps the version (wasteparks.sync); the column only needs a value to start from.
        0,
        g.scope, g.enterprise_id, g.park_id, g.province_code,
        CASE g.scope WHEN '{SnapshotScope.ENTERPRISE}' THEN 'enterprise:' || g.enterprise_id
            WHEN '{SnapshotScope.PARK}' THEN 'park:' || g.park_id ELSE 'province:' || g.province_code END,
        g.waste_class, g.category_id, COALESCE(c.code, ''),
        {", ".join(_clamped(f"g.{figure}") for figure in _FIGURES)},
        {_rate("g.utilized", "g.generated + g.u_prior")},
        {_rate("g.utilized + g.disposed", "g.generated + g.t_prior")},
        CASE WHEN g.flows_out = 1 THEN '{RateNote.FIGURES_OUT_OF_RANGE}'
            WHEN {_beyond_bound("g.utilized", "g.generated + g.u_prior")}
                OR {_beyond_bound("g.utilized + g.disposed", "g.generated + g.t_prior")}
                THEN '{RateNote.RATE_BEYOND_BOUND}'
            WHEN g.stock_out = 1 THEN '{RateNote.STOCK_OUT_OF_RANGE}'
            ELSE '' END
    FROM checked g
    LEFT JOIN {_table(WasteCategory)} c ON c.id = g.category_id
    WHERE 1 = 1
    ON CONFLICT (subject_key, month_index, waste_class, category_code) DO UPDATE SET
        {", ".join(f"{column} = excluded.{column}" for column in _REWRITTEN)}
    RETURNING id
    """  # noqa: S608
    return sql, params


def _write_snapshots(sql: str, params: list) -> set[int]:
    """Run the INSERT ... SELECT; the ids of the rows written."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _lock_parks(queryset) -> None:
    # Two recomputes touching the same province's rows are serialised on the parks' rows (in id order,
    # so they cannot deadlock); otherwise both would delete and both insert the province's row.
    list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def recompute_period(
    *, year: int, month: int, park: Park | None = None, province_code: str | None = None, now: datetime | None = None
) -> RecomputeResult:
    """Recompute the snapshots of one month: every subject, or one park's enterprises, the park and its
    province, or (`province_code`, no park) every enterprise and park of one province and the province.
    Rows are updated in place by their natural key (subject, month, class, category), rows
    that no longer have figures are deleted (leaving tombstones), and the later months whose windows
    include this one move forward in the sync order; all in one transaction, so a failure leaves the
    previous rows, and a rerun over unchanged data writes the same figures. The rows are computed and
    written by the database in one statement (bench/RESULTS.md, B3): nothing goes through Python row by
    row."""
    period = check_period(year=year, month=month, now=now)
    computed_at = now or timezone.now()
    if park is not None:
        province_code = park.division.province_code

    if province_code is not None:
        _lock_parks(Park.objects.in_province(province_code))
    else:
        _lock_parks(Park.objects.all())

    subjects = UtilizationSnapshot.objects.all()
    if park is not None:
        subjects = subjects.filter(
            Q(scope=SnapshotScope.PROVINCE, province_code=province_code) | Q(park=park) | Q(enterprise__park=park)
        )
    elif province_code is not None:
        # Every row carries its province (enterprise and park rows too).
        subjects = subjects.filter(province_code=province_code)
    before = set(subjects.filter(month_index=period.first_index).values_list("pk", flat=True))
    sql, params = _snapshot_sql(
        period=period,
        province_code=province_code,
        park_id=park.pk if park is not None else None,
        computed_at=computed_at,
    )
    written = _write_snapshots(sql, params)
    rows = len(written)
    # Rows this run did not write (figures that no longer exist) go; each leaves a tombstone for mirrors.
    gone = sorted(before - written)
    for start in range(0, len(gone), 5000):
        UtilizationSnapshot.objects.filter(pk__in=gone[start : start + 5000]).delete()
    # Later months' year-to-date and rolling 12-month figures include this month: they change with it.
    subjects.filter(month_index__gt=period.first_index, month_index__lte=period.first_index + 11).update(
        updated_at=timezone.now()
    )
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


def months_of_year(*, year: int, now: datetime | None = None) -> list[Period]:
    """The months of `year` that have begun (PeriodNotComputable for a year that has not)."""
    current = Period.containing(now)
    if year > current.year:
        check_period(year=year, month=1, now=now)
    return [month for month in Period.year_of(year).months() if month <= current]


def recompute_year(*, year: int, park: Park | None = None, now: datetime | None = None, progress=None):
    """Every month of a year that has begun, one transaction per month. `progress(done, total)` is
    called after each month."""
    months = months_of_year(year=year, now=now)
    results = []
    for done, month in enumerate(months, start=1):
        results.append(recompute_period(year=month.year, month=month.month, park=park, now=now))
        if progress is not None:
            progress(done, len(months))
    return results
