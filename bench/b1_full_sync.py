"""B1 full sync: pull every manifest with its lines and signatures, three ways, side by side.

    python -m bench.b1_full_sync --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench

(limit) one hand-written SQL query building the JSON (json_agg of lines and signatures), streamed
        through a server-side cursor with psycopg2: PostgreSQL alone, no HTTP, no Python per row;
(api)   the real API through gunicorn on loopback: /api/v1/manifests/?page_size=1000, following `next`
        with a read:all token; every body read in full, `next` and the ids taken from it (--decode: json.loads too);
(naive) the common way: nested DRF ModelSerializers with page-number pagination (bench/urls_naive.py),
        same gunicorn, same token. Its deep pages get slower (OFFSET), so on large data a spread sample
        of pages is timed and the full pull is extrapolated from their mean (printed as such).

Prints manifests per second for each and the ratios. Goals: api >= 1/3 of limit, api >= 5x naive.
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from bench import common

LIMIT_SQL = """
SELECT json_build_object(
    'id', m.id, 'number', m.number, 'status', m.status, 'waste_class', m.waste_class, 'purpose', m.purpose,
    'consignor', m.consignor_id, 'consignor_name', c.name, 'carrier', m.carrier_id, 'carrier_name', k.name,
    'receiver', m.receiver_id, 'receiver_name', r.name, 'vehicle_plate', m.vehicle_plate, 'driver', m.driver_id,
    'planned_date', m.planned_date, 'is_cross_province', m.is_cross_province, 'approval', m.approval_id,
    'has_discrepancy', m.has_discrepancy, 'reason', m.reason, 'submitted_at', m.submitted_at,
    'picked_up_at', m.picked_up_at, 'received_at', m.received_at, 'completed_at', m.completed_at,
    'cancelled_at', m.cancelled_at, 'rejected_at', m.rejected_at,
    'lines', coalesce(l.lines, '[]'::json), 'signatures', coalesce(e.signatures, '[]'::json),
    'created_at', m.created_at, 'updated_at', m.updated_at)::text
FROM transfers_manifest m
JOIN registry_enterprise c ON c.id = m.consignor_id
JOIN registry_enterprise k ON k.id = m.carrier_id
JOIN registry_enterprise r ON r.id = m.receiver_id
LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object(
        'line_no', l.line_no, 'waste_code', w.code, 'source_facility', l.source_facility_id,
        'declared_quantity_t', l.declared_quantity_t::text, 'packaging_type', l.packaging_type,
        'packaging_count', l.packaging_count, 'physical_form', l.physical_form, 'hazard', l.hazard,
        'batch_code', l.batch_code, 'received_quantity_t', l.received_quantity_t::text,
        'accepted_quantity_t', l.accepted_quantity_t::text, 'acceptance', l.acceptance,
        'rejection_reason', l.rejection_reason, 'is_discrepancy', l.is_discrepancy,
        'receiving_facility', l.receiving_facility_id, 'treatment_method', t.code,
        'treated_quantity_t', l.treated_quantity_t::text, 'treated_at', l.treated_at) ORDER BY l.line_no) AS lines
    FROM transfers_manifestline l
    JOIN registry_wastecode w ON w.id = l.waste_code_id
    LEFT JOIN registry_managementmethod t ON t.id = l.treatment_method_id
    WHERE l.manifest_id = m.id
) l ON true
LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object(
        'action', e.action, 'from_status', e.from_status, 'to_status', e.to_status, 'actor', u.username,
        'acting_enterprise', e.acting_enterprise_id, 'party', e.party, 'role', e.role, 'comment', e.comment,
        'source', e.source, 'at', e.at) ORDER BY e.at, e.id) AS signatures
    FROM transfers_manifestevent e JOIN registry_user u ON u.id = e.actor_id
    WHERE e.manifest_id = m.id
) e ON true
ORDER BY m.sync_version, m.id
"""


def pull_limit(url: str, max_manifests: int | None) -> tuple[int, int, float]:
    """(manifests, bytes, seconds) for the single SQL query, streamed."""
    conn = common.connect(url)
    try:
        conn.set_session(readonly=True)
        started = time.perf_counter()
        with conn.cursor(name="b1_limit") as cur:
            cur.itersize = 2000
            sql = LIMIT_SQL + (f" LIMIT {int(max_manifests)}" if max_manifests else "")
            cur.execute(sql)
            n = size = 0
            for (text,) in cur:
                n += 1
                size += len(text)
        return n, size, time.perf_counter() - started
    finally:
        conn.close()


NEXT = re.compile(rb'^\{"next":(?:null|"([^"]*)")')
MANIFEST_ID = re.compile(rb'\{"id":(\d+),"number":')


def pull_api(
    base: str, token: str, max_manifests: int | None, page_size: int = 1000, decode: bool = False
) -> tuple[int, int, float, int]:
    """(manifests, bytes, seconds, distinct ids) following `next` from the first page.

    Every body is read in full; `next` and the manifests' ids are taken from it with two regular
    expressions. Decoding the whole JSON is the mirror's own work, the same whatever the server, and
    the limit's JSON is not decoded either; --decode includes it (json.loads of every page).
    """
    http = common.session(token)
    url = f"{base}/api/v1/manifests/?page_size={page_size}"
    n = size = 0
    ids: set[int] = set()
    started = time.perf_counter()
    pages = 0
    while url:
        response = http.get(url, timeout=300)
        response.raise_for_status()
        body = response.content
        size += len(body)
        if decode:
            page = response.json()
            found = [item["id"] for item in page["results"]]
            url = page["next"]
        else:
            found = [int(pk) for pk in MANIFEST_ID.findall(body)]
            match = NEXT.match(body)
            if match is None:
                raise RuntimeError(f"unexpected page: {body[:200]!r}")
            url = match.group(1).decode() if match.group(1) else None
        ids.update(found)
        n += len(found)
        pages += 1
        if max_manifests and n >= max_manifests:
            break
        if pages > 100_000:  # a loop that never ends is a bug, not a benchmark
            raise RuntimeError("more than 100,000 pages")
    return n, size, time.perf_counter() - started, len(ids)


def same_as_serializer(base: str, token: str, n: int = 300) -> bool:
    """The fast list answer must be exactly what ManifestSerializer says of the same manifests."""
    import json

    from rest_framework.renderers import JSONRenderer

    from transfers.api import ManifestSerializer, ManifestViewSet

    page = common.session(token).get(f"{base}/api/v1/manifests/?page_size={n}", timeout=120).json()["results"]
    by_id = {m.pk: m for m in ManifestViewSet.queryset.filter(pk__in=[item["id"] for item in page])}
    expected = ManifestSerializer([by_id[item["id"]] for item in page], many=True).data
    return json.loads(JSONRenderer().render(expected)) == page


def pull_naive(base: str, token: str, total: int, max_manifests: int | None, samples: int) -> tuple[int, float, str]:
    """(manifests, estimated seconds for `total`, how) through page-number pagination."""
    http = common.session(token)
    page_size = 1000
    wanted = min(total, max_manifests or total)
    pages = max(1, -(-wanted // page_size))
    if pages <= samples:
        chosen = list(range(1, pages + 1))
    else:
        chosen = sorted({1 + round(i * (pages - 1) / (samples - 1)) for i in range(samples)})
    n, spent = 0, 0.0
    for number in chosen:
        started = time.perf_counter()
        response = http.get(f"{base}/bench/naive/manifests/?page={number}&page_size={page_size}", timeout=600)
        response.raise_for_status()
        n += len(response.json()["results"])
        spent += time.perf_counter() - started
    if len(chosen) == pages:
        return n, spent, f"all {pages} pages"
    estimate = spent / len(chosen) * pages
    return wanted, estimate, f"{len(chosen)} of {pages} pages timed, spread over the whole range; total extrapolated"


def run(
    url: str, *, max_manifests: int | None = None, naive_samples: int = 12, workers: int = 2, decode: bool = False
) -> common.Result:
    common.setup_django(url)
    total = common.count(url, "transfers_manifest")
    scale = f"{total:,} manifests, {common.count(url, 'transfers_manifestline'):,} lines"
    result = common.Result("B1 full sync", scale)
    token = common.create_read_all_token("bench B1 provincial platform")

    n_limit, bytes_limit, t_limit = pull_limit(url, max_manifests)
    with common.gunicorn(url, workers=workers, settings_module="bench.settings_naive") as server:
        # Warm up both endpoints (imports, connections) outside the timings.
        common.session(token).get(f"{server.base}/api/v1/manifests/?page_size=10", timeout=60).raise_for_status()
        common.session(token).get(f"{server.base}/bench/naive/manifests/?page_size=10", timeout=60).raise_for_status()
        n_api, bytes_api, t_api, distinct = pull_api(server.base, token, max_manifests, decode=decode)
        same = same_as_serializer(server.base, token)
        n_naive, t_naive, how = pull_naive(server.base, token, total, max_manifests, naive_samples)

    rate_limit, rate_api, rate_naive = n_limit / t_limit, n_api / t_api, n_naive / t_naive
    result.add("(limit) SQL json_agg, streamed: manifests/s", rate_limit)
    result.add("(limit) time s", t_limit)
    result.add("(api) /api/v1/manifests/ over HTTP: manifests/s", rate_api)
    result.add("(api) time s", t_api)
    result.add("(naive) nested ModelSerializer + page numbers: manifests/s", rate_naive)
    result.add("(naive) time s", t_naive)
    result.add("api / limit (goal >= 0.33)", rate_api / rate_limit)
    result.add("api / naive (goal >= 5)", rate_api / rate_naive)
    result.add("MB transferred: limit / api", f"{bytes_limit / 1e6:,.1f} / {bytes_api / 1e6:,.1f}")
    result.notes.append(f"naive: {how}")
    expected = min(total, max_manifests) if max_manifests else total
    if distinct != n_api or (not max_manifests and n_api != total) or n_limit != expected:
        result.ok = False
        result.notes.append(f"row counts differ: db {total}, limit {n_limit}, api {n_api} ({distinct} distinct)")
    if not same:
        result.ok = False
        result.notes.append("the API's manifests differ from ManifestSerializer's representation")
    result.add("API page identical to ManifestSerializer output", "yes" if same else "NO")
    result.goals = rate_api >= rate_limit / 3 and rate_api >= 5 * rate_naive
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b1_full_sync", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--max-manifests", type=int, help="stop each pull after this many (smoke runs)")
    parser.add_argument("--naive-samples", type=int, default=12, help="pages of the naive pull to time")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--decode", action="store_true", help="json.loads every API page inside the timing")
    parser.add_argument("--no-goals", action="store_true", help="exit 0 when the checks pass, whatever the timings")
    args = parser.parse_args(argv)
    result = run(args.database_url, max_manifests=args.max_manifests, naive_samples=args.naive_samples,
                 workers=args.workers, decode=args.decode)  # fmt: skip
    result.print()
    return result.exit_code(goals=not args.no_goals)


if __name__ == "__main__":
    sys.exit(main())
