"""Reporting fixtures on top of the shared personas.

The transfer fixtures (stores, the carrier's road permit, `parties`, `advance`, ...) are re-exported
from tests/transfers/conftest.py so reporting tests build manifests the way the application does.

`celery_worker_process` starts a real `celery -A wasteparks worker` against the suite's Redis and the
*test* database (pytest-django's `test_<name>`); use it with `@pytest.mark.django_db(transaction=True)`
so the rows a test writes are committed and visible to the worker. It is torn down after the test.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.transfers.conftest import (  # noqa: F401  (fixtures re-exported for reporting tests)
    admin_c,
    advance,
    hazardous_draft,
    medical_permit,
    parties,
    r_store,
    road_permit,
    viewer_x,
    x_store,
)


def _test_database_url() -> str:
    """The URL of the database this test session is connected to (the test database)."""
    params = connection.settings_dict
    user = params["USER"] or ""
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    credentials = f"{user}{password}@" if user else ""
    host = params["HOST"] or "127.0.0.1"
    port = f":{params['PORT']}" if params["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{params['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real Celery worker (queues quick and long, solo pool) for the duration of one test.

    Fails, never skips, when Redis is not configured: the job tests are about the broker.
    """
    if not settings.REDIS_URL:
        pytest.fail("The worker tests need REDIS_URL (the suite's Redis): set TEST_REDIS_URL.")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is not reachable at {settings.REDIS_URL}: {error}")

    from wasteparks.celery import app

    app.control.purge()  # nothing left over from an earlier run may reach this worker
    # The suite runs tasks eagerly; while this worker is up, .delay() and send_task go to the broker.
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_EAGER": "0",
        "DB_CONN_MAX_AGE": "0",
    }
    base_dir = Path(settings.BASE_DIR)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "wasteparks",
                "worker",
                "--queues",
                "quick,long",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--hostname",
                f"test-worker-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=base_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "ready" not in log_path.read_text():
            if process.poll() is not None:
                pytest.fail(f"The Celery worker exited at start:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not become ready within 60 s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield process, log_path
    finally:
        app.conf.task_always_eager = eager
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
