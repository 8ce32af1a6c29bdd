"""B1, where a full-sync page's time goes: building the page against writing it as JSON, two ways.

    python -m bench.b1_renderer --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench

(rows) the page built in Python (ManifestFeed.page_rows: three values() queries, a dict per row), then
       written with DRF's renderer and with the API's own (wasteparks/api/renderers.py);
(sql)  the page's JSON text written by PostgreSQL in one query (ManifestFeed.page_text, what the API
       serves on PostgreSQL), then put into the answer by the API's renderer.

Takes `--pages` pages of 1,000 manifests spread over the table, as the provincial client's full pull reads
them, and times each step on each page (`--rounds` times, the median kept). Checks that all three write
the same bytes for every page.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench import common


def run(database_url: str, *, pages: int, rounds: int) -> common.Result:
    common.setup_django(database_url)
    from django.db import connection
    from rest_framework.renderers import JSONRenderer

    from transfers.api.feed import ManifestFeed
    from wasteparks.api.renderers import FastJSONRenderer

    if not ManifestFeed().in_sql:
        raise SystemExit("PostgreSQL does not write the page here (ManifestFeed.in_sql is false)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM transfers_manifest")
        low, high = cursor.fetchone()
    starts = [low + (high - low) * i // pages for i in range(pages)]
    build, drf, fast, written, copied, sizes = [], [], [], [], [], []
    for start in starts:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM transfers_manifest WHERE id >= %s ORDER BY id LIMIT 1000", [start])
            ids = [row[0] for row in cursor.fetchall()]
        for _ in range(rounds):
            began = time.perf_counter()
            page = {"next": None, "results": ManifestFeed().page_rows(ids)}
            built = time.perf_counter()
            standard = JSONRenderer().render(page)
            rendered = time.perf_counter()
            ours = FastJSONRenderer().render(page)
            done = time.perf_counter()
            text = {"next": None, "results": ManifestFeed().page_text(ids)}
            from_sql = time.perf_counter()
            sent = FastJSONRenderer().render(text)
            finished = time.perf_counter()
            if ours != standard:
                raise SystemExit(f"the renderers disagree on the page starting at manifest {start}")
            if sent != ours:
                raise SystemExit(f"the page PostgreSQL wrote differs on the page starting at manifest {start}")
            build.append(built - began)
            drf.append(rendered - built)
            fast.append(done - rendered)
            written.append(from_sql - done)
            copied.append(finished - from_sql)
            sizes.append(len(ours))
    result = common.Result("B1 renderer", f"{pages} pages of 1,000 manifests")
    median = statistics.median
    result.add("page size (bytes, median)", f"{int(median(sizes)):,}")
    result.add("(rows) build the page (ms, median)", round(median(build) * 1000, 1))
    result.add("(rows) DRF JSONRenderer (ms, median)", round(median(drf) * 1000, 1))
    result.add("(rows) FastJSONRenderer (ms, median)", round(median(fast) * 1000, 1))
    result.add("renderer speed-up", round(median(drf) / median(fast), 1))
    result.add(
        "page time saved (share of build + DRF render)",
        round((median(drf) - median(fast)) / (median(build) + median(drf)), 3),
    )
    result.add("(sql) PostgreSQL writes the page (ms, median)", round(median(written) * 1000, 1))
    result.add("(sql) FastJSONRenderer (ms, median)", round(median(copied) * 1000, 1))
    before = [b + f for b, f in zip(build, fast, strict=True)]
    after = [w + c for w, c in zip(written, copied, strict=True)]
    result.add("build + render, rows / sql (ms, median)", f"{median(before) * 1000:.1f} / {median(after) * 1000:.1f}")
    result.add("build + render speed-up, sql over rows", round(median(before) / median(after), 2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.b1_renderer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(common.machine())
    run(args.database_url, pages=args.pages, rounds=args.rounds).print()


if __name__ == "__main__":
    main()
