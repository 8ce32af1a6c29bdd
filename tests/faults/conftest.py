"""Fault fixtures: a dead broker URL, extra real Celery workers, and a side connection to PostgreSQL.

The machine's PostgreSQL and Redis are shared, so no test here stops them: a Redis outage is simulated by
pointing this process's Celery app at a port nothing listens on, and a PostgreSQL restart by terminating
the application's server processes (`pg_terminate_backend`), which is what a restart does to them.
"""

import contextlib
import os
import signal
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


@pytest.fixture
def without_eager():
    """Publish through the broker (the suite otherwise runs tasks eagerly)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


@contextlib.contextmanager
def real_worker(log_path: Path, *, queues: str = "quick,long", env: dict | None = None) -> Iterator[subprocess.Popen]:
    """A `celery worker` (solo pool) against the suite's Redis and the test database, ready when entered."""
    worker_env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_EAGER": "0",
        "DB_CONN_MAX_AGE": "0",
        **(env or {}),
    }
    command = [sys.executable, "-m", "celery", "-A", "wasteparks", "worker", "--queues", queues, "--pool", "solo"]
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
