"""Fault fixtures: a dead broker URL, a private Redis to stop, freeze and restart, real Celery workers and
relay processes, and a side connection to PostgreSQL.

The machine's PostgreSQL and Redis are shared, so no test here stops them: a Redis outage is either
simulated by pointing this process's Celery app at a port nothing listens on, or staged on a private
redis-server of the test's own (`private_redis`); a PostgreSQL restart is simulated by terminating the
application's server processes (`pg_terminate_backend`), which is what a restart does to them.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from tests.fixtures.worker import worker_database_url as _test_database_url
from wasteparks.celery import app

DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # port 1: nothing listens, a connect is refused at once
DEAD_REDIS_URL = DEAD_BROKER_URL


@contextlib.contextmanager
def cache_at(url: str) -> Iterator[None]:
    """Point this process's Django cache at another Redis, with the production backend and options."""
    caches = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    with override_settings(CACHES=caches):  # the cache handler is reset on entry and on exit
        yield


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point this process's Celery app at another broker (its connection pools are looked up again)."""

    def reset() -> None:
        # Forget, not close: kombu keeps one pool per broker URL and hands the real one back afterwards.
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    app.conf.broker_url = url
    reset()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        reset()


@contextlib.contextmanager
def results_at(url: str) -> Iterator[None]:
    """Point this process's Celery result backend (what a progress page reads) at another Redis."""

    def reset() -> None:
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)

    previous = app.conf.result_backend
    app.conf.result_backend = url
    reset()
    try:
        yield
    finally:
        app.conf.result_backend = previous
        reset()


@pytest.fixture
def without_eager():
    """Publish through the broker (the suite otherwise runs tasks eagerly)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def process_env(env: dict | None = None) -> dict:
    """The environment of an application process (worker, relay, web) against the test database."""
    return {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_EAGER": "0",
        "DB_CONN_MAX_AGE": "0",
        **(env or {}),
    }


@contextlib.contextmanager
def real_worker(
    log_path: Path,
    *,
    queues: str = "quick,long",
    env: dict | None = None,
    pool: str = "solo",
    concurrency: int = 1,
    options: list[str] | None = None,
) -> Iterator[subprocess.Popen]:
    """A `celery worker` against the suite's Redis (or `env`'s) and the test database, ready when entered.

    The solo pool runs one task at a time in the worker's own process; `pool="prefork"` with a concurrency
    of 2 is production's shape (docker-compose), where the consumer keeps waiting for more tasks while one
    runs.
    """
    worker_env = process_env(env)
    command = [sys.executable, "-m", "celery", "-A", "wasteparks", "worker", "--queues", queues, "--pool", pool]
    command += ["--concurrency", str(concurrency), *(options or [])]
    command += ["--loglevel", "INFO", "--hostname", f"fault-{log_path.stem}-{os.getpid()}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "ready" in log_path.read_text() or process.poll() is not None, 60, "worker start")
        if process.poll() is not None:
            pytest.fail(f"The Celery worker exited at start:\n{log_path.read_text()}")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def real_relay(log_path: Path, *, env: dict | None = None) -> Iterator[subprocess.Popen]:
    """The relay process (`manage.py relay_outbox --loop`, docker-compose's `relay`)."""
    command = [sys.executable, "manage.py", "relay_outbox", "--loop", "--interval", "1"]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=process_env(env), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def free_port(start: int = 6390) -> int:
    """The first port from `start` on that nothing listens on (the machine's Redis is on 6379)."""
    for port in range(start, start + 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a private Redis")


class PrivateRedis:
    """A redis-server of this test's own, which it may stop, freeze and restart; its data survives a stop
    (append-only file), as docker-compose's Redis does."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        command += ["--appendonly", "yes", "--save", ""]
        log = (self.directory / "redis.log").open("a")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

        def answers() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(answers, 20, "the private Redis to listen")

    def stop(self) -> None:
        """As `docker compose stop redis`: SIGTERM, Redis writes its data and closes every connection."""
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=20)
        self.process = None

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel and never answered (a hung broker)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("The broker fault tests need redis-server on the PATH (apt-get install redis-server).")
    directory = tmp_path / "redis"
    directory.mkdir()
    redis_server = PrivateRedis(directory)
    redis_server.start()
    try:
        yield redis_server
    finally:
        redis_server.close()


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {seconds} s waiting for {what}.")
        time.sleep(0.1)


def connect_to_test_database():
    """A new psycopg2 connection to the test database, independent of Django's."""
    params = connection.settings_dict
    return psycopg2.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        connect_timeout=5,
    )


@pytest.fixture
def side_connection(transactional_db):
    """A second, independent connection to the test database (the "administrator" of the faults)."""
    side = connect_to_test_database()
    try:
        yield side
    finally:
        side.close()


@pytest.fixture
def locker_connection(transactional_db):
    """A third connection, to hold locks while the side connection watches and terminates."""
    locker = connect_to_test_database()
    try:
        yield locker
    finally:
        locker.close()
