"""The growth curve (bench/growth.py) reads back what each benchmark printed: a figure read wrongly would
put a wrong number in bench/RESULTS.md without any benchmark failing."""

from bench import common
from bench.growth import p95, parse, spread


def _printed() -> str:
    result = common.Result("B5 pages", "1,000,000 manifests")
    result.add("park dashboard (/reporting/): median / p95 ms", "183 / 1,300  (200 answers)")
    result.add("requests per second, all pages", 40.2)
    result.add("api / limit (goal >= 0.33)", 0.7125)
    lines = [f"  {label:<60}  {value}" for label, value in result.rows]
    return "\n".join(["", "== B5 pages (1,000,000 manifests) ==", *lines, "  checks: passed; goals: MISSED"])


def test_each_printed_figure_is_read_back_by_its_label():
    rows = parse(_printed())
    assert p95(rows["park dashboard (/reporting/): median / p95 ms"]) == 1300
    assert rows["requests per second, all pages"] == "40.20"
    assert rows["api / limit (goal >= 0.33)"] == "0.71"


def test_the_table_gives_the_median_and_the_spread_of_the_rounds():
    assert spread([360.0, 331.0, 374.0]) == "360 (331–374)"
    assert spread([0.71, 0.57, 0.59]) == "0.59 (0.57–0.71)"
    assert spread([5.5]) == "5.50"
    assert spread([]) == "—"
