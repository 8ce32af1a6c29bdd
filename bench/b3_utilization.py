"""B3 utilization: recompute the snapshots of one month province-wide and of a whole year.

    python -m bench.b3_utilization --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench

(service) `reporting.services.utilization.recompute_period(year, month)` for the last full month, every
          subject (park=None): lock, one INSERT ... SELECT ... ON CONFLICT computing and writing them in place;
(limit)   one hand-written SQL statement, a GROUP BY with GROUPING SETS over the same ledger entries and
          treated manifest lines, producing the same figures (every enterprise, park and province row,
          per class and category and for all categories), fetched, nothing written;
(year)    `recompute_year` for the last full year (twelve months, one transaction each).

The figures are checked equal (province rows and a sample of parks, every figure to the 4th decimal)
before anything is timed. The limit and the service alternate (--rounds) so that machine noise hits both
alike; medians are compared. Goal: service / limit <= 1.5.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bench import common

FIGURES = ("generated_t", "utilized_t", "disposed_t", "stored_end_t", "utilized_from_prior_storage_t",
           "treated_from_prior_storage_t")  # fmt: skip

# Written by hand from the counting rules in reporting/services/utilization.py (not generated from it).
LIMIT_SQL = """
WITH ev AS (
    SELECT enterprise_id AS e, waste_code_id AS w, occurred_at AS at,
        CASE WHEN stage = 'generated' THEN quantity_t ELSE 0 END AS g,
        CASE WHEN stage = 'utilized_in_house' AND manifest_line_id IS NULL THEN quantity_t ELSE 0 END AS u,
        CASE WHEN stage = 'disposed_in_house' AND manifest_line_id IS NULL THEN quantity_t ELSE 0 END AS d,
        CASE WHEN stage IN ('generated', 'stored_in', 'received') THEN quantity_t ELSE -quantity_t END AS s
    FROM transfers_ledgerentry WHERE occurred_at < %(end)s
    UNION ALL
    SELECT m.consignor_id, l.waste_code_id, l.treated_at, 0,
        CASE WHEN mm.kind = 'utilization' THEN l.treated_quantity_t ELSE 0 END,
        CASE WHEN mm.kind = 'disposal' THEN l.treated_quantity_t ELSE 0 END, 0
    FROM transfers_manifestline l
    JOIN transfers_manifest m ON m.id = l.manifest_id
    JOIN registry_managementmethod mm ON mm.id = l.treatment_method_id
    WHERE l.treated_at < %(end)s
), mon AS (  -- per month of the year so far: how far utilization (and treatment) ran ahead of generation
    SELECT e, w, date_trunc('month', at AT TIME ZONE 'Asia/Shanghai') AS mo, sum(u - g) AS du, sum(u + d - g) AS dt
    FROM ev WHERE at >= %(year)s GROUP BY e, w, mo
), ahead AS (
    SELECT e, w, mo, sum(du) OVER (PARTITION BY e, w ORDER BY mo) AS au,
        sum(dt) OVER (PARTITION BY e, w ORDER BY mo) AS at_
    FROM mon
), peak AS (  -- the highest it ran ahead at a month end, before this month and up to it
    SELECT e, w,
        greatest(coalesce(max(au) FILTER (WHERE mo < %(start)s AT TIME ZONE 'Asia/Shanghai'), 0), 0) AS pu0,
        greatest(coalesce(max(au), 0), 0) AS pu1,
        greatest(coalesce(max(at_) FILTER (WHERE mo < %(start)s AT TIME ZONE 'Asia/Shanghai'), 0), 0) AS pt0,
        greatest(coalesce(max(at_), 0), 0) AS pt1
    FROM ahead GROUP BY e, w
), per AS (
    SELECT e, w,
        sum(g) FILTER (WHERE at >= %(start)s) AS g, sum(u) FILTER (WHERE at >= %(start)s) AS u,
        sum(d) FILTER (WHERE at >= %(start)s) AS d, sum(s) AS s,
        greatest(coalesce(sum(g - u - d) FILTER (WHERE at < %(year)s), 0), 0) AS c
    FROM ev GROUP BY e, w
), f AS (
    SELECT per.e, en.park_id AS p, dv.province_code AS pr, wc.waste_class AS k, wc.category_id AS cat,
        coalesce(g, 0) AS g, coalesce(u, 0) AS u, coalesce(d, 0) AS d, s,
        least(coalesce(pu1, 0), c) - least(coalesce(pu0, 0), c) AS up,
        least(coalesce(pt1, 0), c) - least(coalesce(pt0, 0), c) AS tp
    FROM per
    LEFT JOIN peak ON peak.e = per.e AND peak.w = per.w
    JOIN registry_wastecode wc ON wc.id = per.w
    JOIN registry_enterprise en ON en.id = per.e
    JOIN registry_park pk ON pk.id = en.park_id
    JOIN registry_division dv ON dv.id = pk.division_id
    WHERE coalesce(g, 0) <> 0 OR coalesce(u, 0) <> 0 OR coalesce(d, 0) <> 0 OR s <> 0
)
SELECT CASE WHEN grouping(e) = 0 THEN 'enterprise' WHEN grouping(p) = 0 THEN 'park' ELSE 'province' END,
    e, p, pr, k, cat, sum(g), sum(u), sum(d), sum(s), sum(up), sum(tp)
FROM f
GROUP BY GROUPING SETS ((e, p, pr, k, cat), (e, p, pr, k), (p, pr, k, cat), (p, pr, k), (pr, k, cat), (pr, k))
"""


def month_bounds(year: int, month: int) -> dict[str, datetime]:
    zone = ZoneInfo("Asia/Shanghai")
    nxt = (year + month // 12, month % 12 + 1)
    return {
        "start": datetime(year, month, 1, tzinfo=zone),
        "end": datetime(*nxt, 1, tzinfo=zone),
        "year": datetime(year, 1, 1, tzinfo=zone),
    }


def run_limit(year: int, month: int) -> tuple[list[tuple], float]:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(LIMIT_SQL, month_bounds(year, month))
        rows = cursor.fetchall()
    return rows, time.perf_counter() - started


def q4(value) -> Decimal:
    return (value or Decimal(0)).quantize(Decimal("0.0001"))


def compare(year: int, month: int, limit_rows: list[tuple], sample_parks: int, seed: int = 1) -> list[str]:
    """Differences between the stored snapshots and the limit's rows: the province rows, every row of
    `sample_parks` parks (the parks' own and their enterprises'), and any stored rate that differs from
    the Python formula's for its row; [] when they agree."""
    from reporting.models import UtilizationSnapshot, window_rates

    def key(scope, enterprise, park, province, waste_class, category):
        return (scope, enterprise, park if scope != "province" else None, province, waste_class, category)

    limit = {key(*row[:6]): tuple(q4(v) for v in row[6:]) for row in limit_rows}
    parks = sorted({row[2] for row in limit_rows if row[0] == "park"})
    chosen = set(random.Random(seed).sample(parks, min(sample_parks, len(parks))))
    snapshots = list(UtilizationSnapshot.objects.filter(month_index=year * 12 + month - 1))
    stored = {
        key(s.scope, s.enterprise_id, s.park_id, s.province_code, s.waste_class, s.category_id): tuple(
            q4(getattr(s, f)) for f in FIGURES
        )
        for s in snapshots
    }
    # Every stored rate (worked out in SQL) must be what the Python formula gives for the row's figures.
    wrong_rates = [
        s
        for s in snapshots
        if (s.utilization_rate_pct, s.utilization_disposal_rate_pct)
        != window_rates(generated=s.generated_t, utilized=s.utilized_t, disposed=s.disposed_t,
                        utilized_prior=s.utilized_from_prior_storage_t, treated_prior=s.treated_from_prior_storage_t)
    ]  # fmt: skip

    def wanted(k):
        return k[0] == "province" or k[2] in chosen

    problems = [f"{len(wrong_rates)} rows with rates unlike rate_pct's, e.g. {wrong_rates[0]}"] if wrong_rates else []
    want_limit = {k: v for k, v in limit.items() if wanted(k)}
    want_stored = {k: v for k, v in stored.items() if wanted(k)}
    if want_limit.keys() != want_stored.keys():
        problems.append(f"rows differ: limit {len(want_limit)}, stored {len(want_stored)}, "
                        f"e.g. {sorted(want_limit.keys() ^ want_stored.keys(), key=str)[:3]}")  # fmt: skip
    for k in sorted(want_limit.keys() & want_stored.keys(), key=str):
        if want_limit[k] != want_stored[k]:
            problems.append(f"{k}: limit {want_limit[k]} stored {want_stored[k]}")
    if len(limit) != len(stored):
        problems.append(f"row counts differ: limit {len(limit)}, stored {len(stored)}")
    return problems[:10]


def last_full_month(today: date) -> tuple[int, int]:
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def run(url: str, *, rounds: int = 3, sample_parks: int = 5, year: int | None = None, skip_year: bool = False,
        month: tuple[int, int] | None = None) -> common.Result:  # fmt: skip
    common.setup_django(url)
    from django.utils import timezone

    from reporting.services.utilization import recompute_period, recompute_year

    today = timezone.localdate()
    y, m = month or last_full_month(today)
    year = year or today.year - 1
    entries, lines = common.count(url, "transfers_ledgerentry"), common.count(url, "transfers_manifestline")
    result = common.Result("B3 utilization", f"{entries:,} ledger entries, {lines:,} manifest lines; month {y}-{m:02d}")

    # Warm-up and the equality check, untimed.
    first = recompute_period(year=y, month=m)
    limit_rows, _ = run_limit(y, m)
    problems = compare(y, m, limit_rows, sample_parks)
    result.add("rows written per month (all subjects)", f"{first.rows:,}")
    result.add("figures equal to the limit's (province + parks sampled)",
               "yes" if not problems else "NO")  # fmt: skip
    if problems:
        result.ok = False
        result.notes += problems

    service_t, limit_t = [], []
    for number in range(rounds):
        order = ("service", "limit") if number % 2 == 0 else ("limit", "service")
        for way in order:
            if way == "service":
                started = time.perf_counter()
                recompute_period(year=y, month=m)
                service_t.append(time.perf_counter() - started)
            else:
                limit_t.append(run_limit(y, m)[1])
    s, lim = common.median(service_t), common.median(limit_t)
    result.add("(limit) one SQL GROUP BY, median s", lim)
    result.add("(service) recompute_period province-wide, median s", s)
    result.add("service / limit (goal <= 1.5)", s / lim)
    result.notes.append(f"service times {', '.join(f'{t:.2f}' for t in service_t)}; "
                        f"limit {', '.join(f'{t:.2f}' for t in limit_t)}")  # fmt: skip
    result.goals = s / lim <= 1.5

    if not skip_year:
        started = time.perf_counter()
        months = recompute_year(year=year)
        t_year = time.perf_counter() - started
        result.add(f"(year) recompute_year {year}: {len(months)} months, s", t_year)
        result.add("(year) rows written", f"{sum(r.rows for r in months):,}")
        result.add("(year) per month s", t_year / max(1, len(months)))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b3_utilization", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample-parks", type=int, default=5)
    parser.add_argument("--year", type=int, help="the year for recompute_year (default: last year)")
    parser.add_argument("--month", help="YYYY-MM (default: the last full month)")
    parser.add_argument("--skip-year", action="store_true")
    parser.add_argument("--no-goals", action="store_true", help="exit 0 when the checks pass, whatever the timings")
    args = parser.parse_args(argv)
    month = tuple(int(x) for x in args.month.split("-")) if args.month else None
    result = run(args.database_url, rounds=args.rounds, sample_parks=args.sample_parks, year=args.year,
                 skip_year=args.skip_year, month=month)  # fmt: skip
    print(f"load average: {common.load_average()}")
    result.print()
    return result.exit_code(goals=not args.no_goals)


if __name__ == "__main__":
    sys.exit(main())
