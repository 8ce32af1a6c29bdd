"""What every benchmark shares: the bench database, Django set-up, gunicorn on loopback, timing, printing.

Benchmarks import this module before Django is configured; `setup_django(url)` points the ORM at the
bench database (never the development or test database) and must run before any model import.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wasteparks_bench"
HOST = "127.0.0.1"


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment a production-like process needs: DEBUG off, PostgreSQL, no Redis (eager Celery,
    in-process cache), and rate limits high enough that throttling is not what gets measured."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="bench-only-not-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        CELERY_EAGER="1",
        API_RATE_CLIENT="1000000/minute",
        API_RATE_ANON="1000000/minute",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def setup_django(database_url: str) -> None:
    """Configure Django in this process against the bench database."""
    for key, value in django_env(database_url).items():
        if key not in ("PYTHONPATH",):
            os.environ[key] = value
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wasteparks.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- the database ----------------------------------------------------------------------------------


def db_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def admin_url(url: str) -> str:
    """The same server's maintenance database, to create or drop the bench database."""
    return urlunparse(urlparse(url)._replace(path="/postgres"))


def connect(url: str):
    import psycopg2

    return psycopg2.connect(url)


def database_exists(url: str) -> bool:
    conn = connect(admin_url(url))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name(url)])
            return cur.fetchone() is not None
    finally:
        conn.close()


def recreate_database(url: str) -> None:
    """Drop (if present) and create the bench database, then migrate it and load the catalogue."""
    name = db_name(url)
    if not name.startswith(("wasteparks_bench", "wp_bench")):
        raise SystemExit(f"Refusing to drop {name!r}: bench databases are named wasteparks_bench* or wp_bench*.")
    conn = connect(admin_url(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    env = django_env(url)
    for command in (["migrate", "--noinput", "-v0"], ["load_catalogue"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def drop_database(url: str) -> None:
    name = db_name(url)
    if not name.startswith(("wasteparks_bench", "wp_bench")):
        raise SystemExit(f"Refusing to drop {name!r}.")
    conn = connect(admin_url(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def count(url: str, table: str) -> int:
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names are constants
            return cur.fetchone()[0]
    finally:
        conn.close()


# --- API clients ------------------------------------------------------------------------------------


def create_read_all_token(name: str) -> str:
    """A provincial read:all token (Django must be set up)."""
    from registry.clients import create_api_client
    from registry.models import ApiClient, ApiScope

    ApiClient.objects.filter(name=name).update(name=f"{name} (replaced {time.time_ns()})")
    _, token = create_api_client(name=name, scope=ApiScope.READ_ALL)
    return token


# --- gunicorn on loopback ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int = 2,
    threads: int = 1,
    settings_module: str = "wasteparks.settings",
    timeout: int = 300,
    start_timeout: float = 60.0,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Serve the project with gunicorn on 127.0.0.1 (a free port) for the duration of the block.

    The worker timeout bounds any single request; the server is always stopped on exit. `extra_env` adds
    to the production-like environment (`django_env`), e.g. REDIS_URL for a shared cache.
    """
    port = free_port()
    log_dir = ROOT / "bench" / "data"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"gunicorn-{port}.log"
    env = django_env(database_url, DJANGO_SETTINGS_MODULE=settings_module, DB_CONN_MAX_AGE="600", **(extra_env or {}))
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "wasteparks.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    with open(log, "w") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    server = Server(base=f"http://{HOST}:{port}", process=process, log=log)
    try:
        _wait_ready(server, start_timeout)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_ready(server: Server, start_timeout: float) -> None:
    import requests

    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}; see {server.log}")
        try:
            requests.get(f"{server.base}/healthz", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {start_timeout:.0f} s; see {server.log}")


def session(token: str | None = None):
    import requests

    http = requests.Session()
    if token:
        http.headers["Authorization"] = f"Bearer {token}"
    http.headers["Accept"] = "application/json"
    return http


# --- timing and printing ----------------------------------------------------------------------------


@dataclass
class Result:
    """One benchmark's figures, printed as a table and returned to the runner."""

    name: str
    scale: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    ok: bool = True  # the checks passed (rows complete, no errors): what the smoke test asserts
    goals: bool = True  # the timing goals held: never asserted by a test (DESIGN 9)
    notes: list[str] = field(default_factory=list)

    def add(self, label: str, value) -> None:
        self.rows.append((label, value if isinstance(value, str) else f"{value:,.2f}"))

    def print(self) -> None:
        width = max((len(label) for label, _ in self.rows), default=10)
        print(f"\n== {self.name} ({self.scale}) ==")
        for label, value in self.rows:
            print(f"  {label:<{width}}  {value}")
        for note in self.notes:
            print(f"  note: {note}")
        print(f"  checks: {'passed' if self.ok else 'FAILED'}; goals: {'met' if self.goals else 'MISSED'}")

    def exit_code(self, *, goals: bool = True) -> int:
        return 0 if self.ok and (self.goals or not goals) else 1


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release()}"


def cpu_speed() -> str:
    """The best of three timings of a fixed pure-Python loop (the sum of i*i for i below 2,000,000), in ms.
    Machines of one kind differ about twofold in it, and the pages' CPU time with it: a figure measured
    on one machine is compared with another's only through this reading."""
    best = min(_timed_loop() for _ in range(3))
    return f"{best * 1000:.0f} ms per 2,000,000 squares summed"


def _timed_loop() -> float:
    started = time.perf_counter()
    sum(i * i for i in range(2_000_000))
    return time.perf_counter() - started


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, as the benchmarks print them (the machine may be shared)."""
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "unknown"
