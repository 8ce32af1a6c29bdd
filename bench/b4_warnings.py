"""B4 warnings: a full scan of the twelve rules over the dataset, and a scan after 1,000 changes.

    python -m bench.b4_warnings --database-url postgres://postgres@127.0.0.1:5432/wasteparks_bench

The bench database's warnings are cleared first, then:
(1) first scan: every rule from no warnings (each finding raised: insert cost included);
(2) rescan, nothing changed: the steady state of the nightly job (findings compared with live warnings);
(3) --changes changes, then a rescan: 40 % lines whose received quantity now exceeds the tolerance,
    40 % discrepant lines corrected to the declared quantity, 20 % loads in transit picked up 5 days
    earlier; the rescan must raise and close warnings for them.
Each scan runs the rules exactly as `run_rules()` does (one `apply_rule` per rule, one transaction each)
and times every rule. Step (3) runs inside a transaction that is rolled back at the end, so the bench data
stay as generated (the warnings of scan 1 remain). No goal is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench import common


class Rollback(Exception):
    pass


def scan(now) -> tuple[dict[str, tuple[float, int, int, int]], float]:
    """{rule: (seconds, raised, escalated, closed)}, total seconds: run_rules() rule by rule."""
    from reporting.warnings import RULES, Context, apply_rule

    ctx = Context(now=now)
    per = {}
    started = time.perf_counter()
    for rule in RULES:
        t0 = time.perf_counter()
        result = apply_rule(rule=rule, ctx=ctx)
        per[rule.code] = (time.perf_counter() - t0, len(result.raised), len(result.escalated), len(result.closed))
    return per, time.perf_counter() - started


def make_changes(n: int) -> dict[str, int]:
    from django.db import connection

    raise_n, clear_n = n * 2 // 5, n * 2 // 5
    move_n = n - raise_n - clear_n
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE transfers_manifestline SET received_quantity_t = round(declared_quantity_t * 1.2, 4) "
            "WHERE id IN (SELECT id FROM transfers_manifestline WHERE received_quantity_t = declared_quantity_t "
            "ORDER BY id DESC LIMIT %s)",
            [raise_n],
        )
        raised = cur.rowcount
        cur.execute(
            "UPDATE transfers_manifestline SET received_quantity_t = declared_quantity_t "
            "WHERE id IN (SELECT id FROM transfers_manifestline WHERE received_quantity_t < declared_quantity_t * 0.95 "
            "ORDER BY id DESC LIMIT %s)",
            [clear_n],
        )
        cleared = cur.rowcount
        cur.execute(
            "UPDATE transfers_manifest SET picked_up_at = picked_up_at - interval '5 days' "
            "WHERE id IN (SELECT id FROM transfers_manifest WHERE status = 'in_transit' ORDER BY id DESC LIMIT %s)",
            [move_n],
        )
        moved = cur.rowcount
    return {"lines over tolerance": raised, "discrepancies corrected": cleared, "loads moved back 5 days": moved}


def run(url: str, *, changes: int = 1000) -> common.Result:
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    common.setup_django(url)
    from django.db import connection, transaction
    from django.utils import timezone

    from reporting.models import Warning

    result = common.Result(
        "B4 warnings",
        f"{common.count(url, 'transfers_manifest'):,} manifests, {common.count(url, 'transfers_ledgerentry'):,} "
        "ledger entries",
    )
    with connection.cursor() as cur:  # a clean start: no warnings, events or notifications
        cur.execute("TRUNCATE reporting_warning CASCADE")

    now = timezone.now()
    first, t_first = scan(now)
    second, t_second = scan(now)
    third: dict = {}
    t_third = 0.0
    done: dict[str, int] = {}
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            done = make_changes(changes)
            t_changes = time.perf_counter() - t0
            third, t_third = scan(timezone.now())
            raise Rollback
    except Rollback:
        pass

    width = max(len(code) for code in first)
    result.add("(1) first scan, from no warnings: s", t_first)
    result.add("(1) warnings raised", f"{sum(v[1] for v in first.values()):,}")
    result.add("(2) rescan, nothing changed: s", t_second)
    result.add("(2) raised / closed", f"{sum(v[1] for v in second.values())} / {sum(v[3] for v in second.values())}")
    result.add(f"(3) rescan after {sum(done.values()):,} changes: s", t_third)
    result.add("(3) raised / closed", f"{sum(v[1] for v in third.values())} / {sum(v[3] for v in third.values())}")
    result.add("    changes made (s, rolled back after)", f"{done} ({t_changes:.2f} s)")
    result.add("  per rule: s (1) / (2) / (3); raised (1); raised/closed (3)", "")
    for code in first:
        s1, r1, _e1, _c1 = first[code]
        s2 = second[code][0]
        s3, r3, _e3, c3 = third.get(code, (0.0, 0, 0, 0))
        result.add(f"  {code:<{width}}",
                   f"{s1:7.2f} / {s2:7.2f} / {s3:7.2f}; {r1:6,}; {r3}/{c3}")  # fmt: skip
    live = Warning.objects.count()
    result.add("warnings in the database after (1)", f"{live:,}")
    if sum(v[1] for v in second.values()) or sum(v[3] for v in second.values()):
        result.ok = False
        result.notes.append("a rescan over unchanged data raised or closed warnings")
    raised3 = third.get("QUANTITY_DISCREPANCY", (0, 0, 0, 0))[1]
    closed3 = third.get("QUANTITY_DISCREPANCY", (0, 0, 0, 0))[3]
    if raised3 != done.get("lines over tolerance") or closed3 != done.get("discrepancies corrected"):
        result.ok = False
        result.notes.append(f"QUANTITY_DISCREPANCY after the changes: raised {raised3}, closed {closed3}; "
                            f"expected {done}")  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.b4_warnings", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--no-goals", action="store_true", help="accepted for symmetry: B4 has no timing goal")
    args = parser.parse_args(argv)
    result = run(args.database_url, changes=args.changes)
    print(f"load average: {common.load_average()}")
    result.print()
    return result.exit_code()


if __name__ == "__main__":
    sys.exit(main())
