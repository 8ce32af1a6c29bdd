"""B2 incremental sync: the cost of pulling N changed manifests must follow N, not the table's size.

    python -m bench.b2_incremental_sync \\
        --small-url postgres://postgres@127.0.0.1:5432/wasteparks_bench10 \\
        --large-url postgres://postgres@127.0.0.1:5432/wasteparks_bench

Both databases are served at once (one gunicorn each, loopback). Each round moves --changes random
manifests forward in the sync order in each database (the same `touch` the platform does when a nested
row changes), then runs the mirror's next sync run from its saved `resume` URL with page_size=1000,
following `next`, and checks exactly the changed manifests came back. The first resume point comes from
one run filtered by `updated_after` (the documented way in without a full pull).
Rounds alternate between the two databases so machine noise hits both alike; the medians are compared.
Goal: large / small < 1.5.
"""

from __future__ import annotations

import argparse
import sys
import time
from urllib.parse import quote

from bench import common


def _token(url: str) -> str:
    """A read:all token in `url`'s database (a short Django run of its own, so both databases work)."""
    import subprocess

    code = (
        "from bench import common; import sys; common.setup_django(sys.argv[1]); "
        "print(common.create_read_all_token('bench B2 provincial platform'))"
    )
    out = subprocess.run(
        [common.PYTHON, "-c", code, url], cwd=common.ROOT, env=common.django_env(url), check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def change(url: str, n: int) -> set[int]:
    """Touch n random manifests; their ids."""
    conn = common.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE transfers_manifest SET updated_at = clock_timestamp() "
                "WHERE id IN (SELECT id FROM transfers_manifest TABLESAMPLE SYSTEM_ROWS(%s)) RETURNING id",
                [n],
            )
            ids = {row[0] for row in cur.fetchall()}
        conn.commit()
        return ids
    finally:
        conn.close()


def resume_point(base: str, token: str, url: str) -> str:
    """The mirror's way in: one run from the newest updated_at, which ends with a `resume` URL."""
    conn = common.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT max(updated_at) FROM transfers_manifest")
            (since,) = cur.fetchone()
    finally:
        conn.close()
    _ids, _seconds, _pages, resume = pull(
        base, token, f"{base}/api/v1/manifests/?page_size=1000&updated_after={quote(since.isoformat())}"
    )
    return resume


def pull(base: str, token: str, url: str) -> tuple[set[int], float, int, str]:
    """One sync run from `url`: (ids, seconds, pages, the next run's resume URL)."""
    http = common.session(token)
    ids: set[int] = set()
    pages = 0
    resume = url
    started = time.perf_counter()
    while url and pages < 1000:
        response = http.get(url, timeout=120)
        response.raise_for_status()
        page = response.json()
        ids.update(item["id"] for item in page["results"])
        url, resume = page["next"], page["resume"]
        pages += 1
    return ids, time.perf_counter() - started, pages, resume


def _ensure_tsm(url: str) -> None:
    conn = common.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS tsm_system_rows")
    conn.close()


def run(small_url: str, large_url: str, *, changes: int = 1000, rounds: int = 5) -> common.Result:
    sizes = {url: common.count(url, "transfers_manifest") for url in (small_url, large_url)}
    result = common.Result(
        "B2 incremental sync",
        f"{changes:,} changed manifests; small {sizes[small_url]:,}, large {sizes[large_url]:,} manifests",
    )
    for url in (small_url, large_url):
        _ensure_tsm(url)
    tokens = {url: _token(url) for url in (small_url, large_url)}
    times: dict[str, list[float]] = {small_url: [], large_url: []}
    with common.gunicorn(small_url, workers=1) as small, common.gunicorn(large_url, workers=1) as large:
        servers = {small_url: small, large_url: large}
        resume = {url: resume_point(servers[url].base, tokens[url], url) for url in (small_url, large_url)}
        for url in (small_url, large_url):  # warm-up, untimed
            change(url, changes)
            *_, resume[url] = pull(servers[url].base, tokens[url], resume[url])
        for number in range(rounds):
            order = (small_url, large_url) if number % 2 == 0 else (large_url, small_url)
            for url in order:
                changed = change(url, changes)
                got, seconds, _pages, resume[url] = pull(servers[url].base, tokens[url], resume[url])
                times[url].append(seconds)
                if got != changed:
                    result.ok = False
                    result.notes.append(f"{common.db_name(url)}: pulled {len(got)}, changed {len(changed)}")
    small_t, large_t = common.median(times[small_url]), common.median(times[large_url])
    result.add(f"small ({sizes[small_url]:,}) median s", small_t)
    result.add(f"large ({sizes[large_url]:,}) median s", large_t)
    result.add("changed manifests per second (large)", changes / large_t)
    result.add("large / small (goal < 1.5)", large_t / small_t)
    result.add("table size ratio", sizes[large_url] / max(1, sizes[small_url]))
    result.goals = large_t / small_t < 1.5
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b2_incremental_sync", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-url", default="postgres://postgres@127.0.0.1:5432/wasteparks_bench10")
    parser.add_argument("--large-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-goals", action="store_true", help="exit 0 when the checks pass, whatever the timings")
    args = parser.parse_args(argv)
    result = run(args.small_url, args.large_url, changes=args.changes, rounds=args.rounds)
    result.print()
    return result.exit_code(goals=not args.no_goals)


if __name__ == "__main__":
    sys.exit(main())
