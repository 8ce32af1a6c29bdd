"""The growth curve: B1, B2, B3 and B5 at several scales, each run several times, as one table.

    python -m bench.growth \\
        --scale 0.1=postgres://postgres@127.0.0.1:5432/wasteparks_bench10 \\
        --scale 1=postgres://postgres@127.0.0.1:5432/wasteparks_bench \\
        --scale 3=postgres://postgres@127.0.0.1:5432/wasteparks_bench3 --rounds 3

Each benchmark runs as its own process (Django is set up once per process, against one database), as it
runs alone, and its printed table is read back. Rounds go through every scale before the next round
begins, so that whatever else the machine does falls on all scales alike. Every figure is printed as the
median of the rounds with their lowest and highest value.

- B1 pulls the first --b1-manifests manifests each way (the rate of a full pull, not its length: the
  length of a full sync grows with the table by definition; its rate must not fall);
- B2 pulls 1,000 changed manifests from neighbouring scales side by side (0.1 with 1, 1 with 3), and
  the time at each scale is the median over every pairing it was part of;
- B3 recomputes one month province-wide (the last full month), without the year;
- B5 is the three pages under 10 users, as `bench.b5_pages` runs them.

Each scale must have been generated with `bench.generate --scale S --seed 42` and the same end date.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict

from bench import common

ROW = re.compile(r"^  (?P<label>\S.*?)\s{2,}(?P<value>\S.*)$")
# What the table shows: (benchmark, label printed by it, how its value is read, the table's name for it).
FIGURES = [
    ("b1", "(api) /api/v1/manifests/ over HTTP: manifests/s", "number", "B1 API pull, manifests/s"),
    ("b1", "(limit) SQL json_agg, streamed: manifests/s", "number", "B1 raw SQL pull, manifests/s"),
    ("b1", "api / limit (goal >= 0.33)", "number", "B1 api / limit"),
    ("b2", None, "seconds", "B2 1,000 changed manifests, s"),
    ("b3", "(service) recompute_period province-wide, median s", "number", "B3 recompute a month, s"),
    ("b3", "(limit) one SQL GROUP BY, median s", "number", "B3 one SQL GROUP BY, s"),
    ("b3", "service / limit (goal <= 1.5)", "number", "B3 service / limit"),
    ("b3", "rows written per month (all subjects)", "number", "B3 rows written for the month"),
    ("b5", "park dashboard (/reporting/): median / p95 ms", "p95", "B5 dashboard p95, ms"),
    ("b5", "manifest list (/transfers/manifests/): median / p95 ms", "p95", "B5 manifest list p95, ms"),
    ("b5", "enterprise detail (/reporting/enterprises/{enterprise}/): median / p95 ms", "p95",
     "B5 enterprise page p95, ms"),
    ("b5", "requests per second, all pages", "number", "B5 requests/s"),
]  # fmt: skip


def parse(output: str) -> dict[str, str]:
    """The rows a benchmark printed (common.Result.print), by label."""
    rows = {}
    for line in output.splitlines():
        if match := ROW.match(line):
            rows[match["label"].strip()] = match["value"].strip()
    return rows


def number(text: str) -> float:
    return float(text.split()[0].replace(",", ""))


def p95(text: str) -> float:
    # "183 / 300  (200 answers)": the median, then the 95th percentile.
    return float(text.split("/")[1].split()[0].replace(",", ""))


def run_module(module: str, *args: str) -> str:
    command = [common.PYTHON, "-m", f"bench.{module}", *args, "--no-goals"]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=common.ROOT)
    print(f"    {module} {' '.join(args)}: {time.monotonic() - started:.0f} s, exit {done.returncode}", flush=True)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def spread(values: list[float]) -> str:
    if not values:
        return "—"
    middle = statistics.median(values)
    digits = 2 if middle < 10 else 0
    if len(values) == 1:
        return f"{middle:,.{digits}f}"
    return f"{middle:,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        action="append",
        required=True,
        metavar="SCALE=URL",
        help="a scale and its bench database; give it once per scale, smallest first",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--b1-manifests", type=int, default=100_000)
    parser.add_argument("--only", default="b1,b2,b3,b5", help="comma-separated subset of b1,b2,b3,b5")
    args = parser.parse_args(argv)  # fmt: skip
    scales = [tuple(item.split("=", 1)) for item in args.scale]
    only = set(args.only.split(","))
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number} of {args.rounds} (load average {common.load_average()})", flush=True)
        for scale, url in scales:
            figures = {}
            if "b1" in only:
                figures["b1"] = parse(run_module("b1_full_sync", "--database-url", url, "--max-manifests",
                                                 str(args.b1_manifests), "--naive-samples", "2"))  # fmt: skip
            if "b3" in only:
                figures["b3"] = parse(run_module("b3_utilization", "--database-url", url, "--rounds", "1",
                                                 "--sample-parks", "2", "--skip-year"))  # fmt: skip
            if "b5" in only:
                figures["b5"] = parse(run_module("b5_pages", "--database-url", url))
            for benchmark, label, kind, name in FIGURES:
                if benchmark in figures and label in figures[benchmark]:
                    read = p95 if kind == "p95" else number
                    values[(name, scale)].append(read(figures[benchmark][label]))
        if "b2" in only:
            for (small, small_url), (large, large_url) in zip(scales, scales[1:], strict=False):
                rows = parse(run_module("b2_incremental_sync", "--small-url", small_url, "--large-url", large_url,
                                        "--rounds", "3"))  # fmt: skip
                for label, value in rows.items():
                    if label.startswith("small ("):
                        values[("B2 1,000 changed manifests, s", small)].append(number(value))
                    elif label.startswith("large ("):
                        values[("B2 1,000 changed manifests, s", large)].append(number(value))
    print(f"\nGrowth curve: median of {args.rounds} rounds (lowest–highest); load average {common.load_average()}; "
          f"CPU speed {common.cpu_speed()}\n")  # fmt: skip
    print("| figure | " + " | ".join(f"scale {scale}" for scale, _ in scales) + " |")
    print("| --- | " + " | ".join("---:" for _ in scales) + " |")
    for _, _, _, name in FIGURES:
        cells = [spread(values.get((name, scale), [])) for scale, _ in scales]
        if any(cell != "—" for cell in cells):
            print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
