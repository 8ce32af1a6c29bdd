"""A Celery worker killed with SIGKILL in the middle of a recompute: the task is redelivered, and the
snapshot rows are exactly those of a clean run.

Simulates a worker lost mid-task (OOM killer, lost machine): the recompute is held inside its transaction
(a side connection locks the snapshot table, so the task is provably mid-recompute, its transaction open),
the worker process gets SIGKILL, and a new worker starts. Proves that with acks_late and a visibility
timeout (CELERY_VISIBILITY_TIMEOUT, short here) the unacknowledged message goes back to the queue and runs
again, that the killed run left nothing behind (its transaction died with its connection), and that the
second run's rows equal a clean in-process run's.
"""

import os
import signal
import time

import pytest
from django.forms.models import model_to_dict

from reporting.models import UtilizationSnapshot
from reporting.services import utilization as services
from tests.faults.conftest import real_worker, wait_for
from tests.transfers.factories import generate
from wasteparks.celery import app
from wasteparks.periods import Period

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 2
WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


def snapshot_rows() -> list[dict]:
    volatile = {"id", "created_at", "updated_at", "computed_at"}
    rows = [
        {key: value for key, value in model_to_dict(row).items() if key not in volatile}
        | {"subject_key": row.subject_key, "month_index": row.month_index}
        for row in UtilizationSnapshot.objects.all()
    ]
    return sorted(rows, key=repr)


def test_a_recompute_killed_mid_task_is_redelivered_and_the_result_is_identical(
    side_connection, tmp_path, preparer_x, x_store, park_a
):
    current = Period.containing()
    year, month = current.year, current.month
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="12.5")
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="3.25")
    services.recompute_period(year=year, month=month, park=park_a)
    clean = snapshot_rows()
    assert clean
    UtilizationSnapshot.objects.all().delete()
    app.control.purge()

    with side_connection.cursor() as cursor:
        cursor.execute("LOCK TABLE reporting_utilizationsnapshot IN ACCESS EXCLUSIVE MODE")
        first_log = tmp_path / "first.log"
        with real_worker(first_log, env=WORKER_ENV) as first:
            result = app.send_task("reporting.tasks.utilization.recompute_park_period", args=[park_a.pk, year, month])

            def task_waits_on_the_lock() -> bool:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE relation = 'reporting_utilizationsnapshot'::regclass "
                    "AND NOT granted"
                )
                return cursor.fetchone()[0] > 0

            wait_for(task_waits_on_the_lock, 60, "the recompute to reach the snapshot table")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        side_connection.rollback()  # the lock goes; the killed run's transaction is gone with its connection
    assert f"[{result.id}]" in first_log.read_text()
    assert "succeeded" not in first_log.read_text()
    assert UtilizationSnapshot.objects.count() == 0

    time.sleep(VISIBILITY_TIMEOUT + 1)  # the message has been unacknowledged longer than the timeout
    second_log = tmp_path / "second.log"
    with real_worker(second_log, env=WORKER_ENV):
        done = f"[{result.id}] succeeded"
        wait_for(lambda: done in second_log.read_text(), 60, done)

    assert snapshot_rows() == clean
