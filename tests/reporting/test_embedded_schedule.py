"""The embedded default runs the schedule: `make run` starts a Celery worker with beat on kombu's filesystem
transport beside the development server, so a warning condition that arises after start-up is raised
without anyone pressing a button."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from reporting.models.warnings import Warning
from tests import factories as f
from tests.fixtures.worker import worker_database_url

pytestmark = pytest.mark.worker


@pytest.fixture
def embedded_schedule(transactional_db, tmp_path):
    """The worker with beat as `make run` starts it (Makefile: SCHEDULE_ENV), scanning every 2 s, on this
    test's database and no Redis at all."""
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": "",
        "CELERY_EAGER": "0",
        "CELERY_FILESYSTEM_BROKER": str(tmp_path / "broker"),
        "WARNING_SCAN_SECONDS": "2",
        "DB_CONN_MAX_AGE": "0",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "wasteparks", "worker", "--beat", "--pool", "solo"]
            + ["--queues", "quick,long", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while "ready" not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The embedded worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_a_permit_about_to_expire_after_start_up_is_warned_of_by_the_schedule_alone(embedded_schedule, catalogue):
    holder = f.EnterpriseFactory(is_receiver=True)
    permit = f.PermitFactory(enterprise=holder, valid_to=timezone.localdate() + timedelta(days=10))

    deadline = time.monotonic() + 90
    while not Warning.objects.filter(rule="PERMIT_EXPIRING", permit=permit).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"No PERMIT_EXPIRING warning within 90 s:\n{embedded_schedule.read_text()[-4000:]}")
        time.sleep(0.5)
    assert "reporting.tasks.warnings.scan_all_rules" in embedded_schedule.read_text()
