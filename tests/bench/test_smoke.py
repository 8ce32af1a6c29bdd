"""The generator and every benchmark run end to end at a tiny scale, into a throwaway database.

Untimed: it asserts that each one completes and that its checks pass (data accepted by the platform's
validations, every row pulled, no error answer, no duplicated number or lost transition), never a
figure. The figures come from `python -m bench.<benchmark>` at the default scale (bench/README.md).
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.bench_smoke


@pytest.fixture(scope="module")
def smoke_database():
    server = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wasteparks"))
    if not server.scheme.startswith("postgres"):
        pytest.skip("the benchmarks need PostgreSQL")
    url = urlunparse(server._replace(path="/wp_bench_smoke"))
    yield url
    run("-c", f"from bench import common; common.drop_database({url!r})")


def run(*args: str, timeout: int = 120) -> str:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    completed = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout


def test_generator_loads_data_the_platform_accepts(smoke_database):
    out = run("-m", "bench.generate", "--scale", "0.001", "--seed", "7", "--database-url", smoke_database,
              "--check", "--check-sample", "40")  # fmt: skip
    assert "check passed" in out


def test_full_sync_pulls_every_manifest_three_ways(smoke_database):
    out = run("-m", "bench.b1_full_sync", "--database-url", smoke_database, "--naive-samples", "2", "--no-goals")
    assert "checks: passed" in out


def test_both_renderers_write_the_same_pages(smoke_database):
    out = run("-m", "bench.b1_renderer", "--database-url", smoke_database, "--pages", "3", "--rounds", "1")
    assert "checks: passed" in out


def test_incremental_sync_pulls_exactly_the_changed_manifests(smoke_database):
    out = run("-m", "bench.b2_incremental_sync", "--small-url", smoke_database, "--large-url", smoke_database,
              "--changes", "50", "--rounds", "1", "--no-goals")  # fmt: skip
    assert "checks: passed" in out


def test_concurrent_writes_lose_no_transition_and_duplicate_no_number(smoke_database):
    out = run("-m", "bench.b6_writes", "--database-url", smoke_database, "--clients", "3", "--manifests", "2",
              "--workers", "2")  # fmt: skip
    assert "checks: passed" in out


def test_utilization_recompute_matches_the_hand_written_query(smoke_database):
    out = run("-m", "bench.b3_utilization", "--database-url", smoke_database, "--rounds", "1", "--skip-year",
              "--no-goals")  # fmt: skip
    assert "checks: passed" in out


def test_warning_scans_raise_and_close_what_changed(smoke_database):
    out = run("-m", "bench.b4_warnings", "--database-url", smoke_database, "--changes", "20")
    assert "checks: passed" in out


def test_pages_answer_every_user(smoke_database):
    out = run("-m", "bench.b5_pages", "--database-url", smoke_database, "--users", "2", "--requests", "4",
              "--workers", "1", "--no-goals")  # fmt: skip
    assert "checks: passed" in out
