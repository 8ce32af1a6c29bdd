"""A Celery worker killed with SIGKILL in the middle of a job: the task is redelivered and completes, each
effect exactly once.

Simulates a worker lost mid-task (OOM killer, lost machine): the job is held inside a transaction (a side
connection locks a table it needs, so the task is provably mid-job, its transaction open), the worker
process gets SIGKILL, and a new worker starts. Proves that with acks_late and a visibility timeout
(CELERY_VISIBILITY_TIMEOUT, short here; settings.py sizes it to the longest job) the unacknowledged message
goes back to the queue and runs again, and that:
- a recompute killed mid-task left nothing behind (its transaction died with its connection), and the
  second run's rows equal a clean in-process run's;
- the hourly scan, killed in the middle of its rules, resumes after the last rule it committed
  (wasteparks/jobs.py): the rules already done are not run again, every warning is raised once, and a
  clean scan afterwards finds nothing new.
"""

import os
import signal
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.forms.models import model_to_dict
from django.utils import timezone

from registry.models import Permit
from reporting.models import UtilizationSnapshot, Warning, WarningAction, WarningEvent
from reporting.services import utilization as services
from reporting.warnings import RULES, engine
from tests.faults.conftest import real_worker, wait_for
from tests.transfers.factories import generate
from wasteparks.celery import app
from wasteparks.periods import Period

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 2
WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


def snapshot_rows() -> list[dict]:
    volatile = {"id", "created_at", "updated_at", "computed_at", "sync_version"}
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


def test_the_visibility_timeout_outlasts_the_longest_scan_and_recompute():
    """A slow job is never handed to a second worker while the first still runs it, and a killed one comes
    back within minutes, not the hour it used to."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for name in ("reporting.tasks.warnings.scan_all_rules", "reporting.tasks.utilization.recompute_park_period"):
        task = app.tasks[name]
        assert task.acks_late and task.time_limit < visibility, name
    assert visibility <= 20 * 60


def test_no_retry_is_due_later_than_the_visibility_timeout():
    """A task waiting for its retry holds its message: due after the visibility timeout, it would run twice."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    ours = [task for name, task in app.tasks.items() if name.split(".")[0] in {"registry", "transfers", "reporting"}]
    retrying = [task for task in ours if getattr(task, "autoretry_for", ())]
    assert retrying
    for task in retrying:
        assert task.retry_backoff_max < visibility, task.name


def test_a_scan_killed_mid_rules_resumes_after_the_last_committed_rule_and_raises_each_warning_once(
    side_connection, tmp_path, receiver_r, park_a
):
    # Something for an early rule to find: the receiver's operating licence expires in ten days.
    Permit.objects.filter(enterprise=receiver_r).update(valid_to=timezone.localdate() + timedelta(days=10))
    codes = [rule.code for rule in RULES]
    held_at = codes.index("UTILIZATION_BELOW_TARGET")  # the first rule that reads the utilization snapshots
    assert codes.index("PERMIT_EXPIRING") < held_at
    app.control.purge()

    with side_connection.cursor() as cursor:
        cursor.execute("LOCK TABLE reporting_utilizationsnapshot IN ACCESS EXCLUSIVE MODE")
        first_log = tmp_path / "first.log"
        with real_worker(first_log, env=WORKER_ENV) as first:
            result = app.send_task("reporting.tasks.warnings.scan_all_rules")

            def scan_waits_on_the_lock() -> bool:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE relation = 'reporting_utilizationsnapshot'::regclass "
                    "AND NOT granted"
                )
                return cursor.fetchone()[0] > 0

            wait_for(scan_waits_on_the_lock, 60, "the scan to reach the utilization rules")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        side_connection.rollback()
    assert "succeeded" not in first_log.read_text()
    expiring = Warning.objects.filter(rule="PERMIT_EXPIRING")
    assert expiring.count() == 1  # committed before the kill

    time.sleep(VISIBILITY_TIMEOUT + 1)
    second_log = tmp_path / "second.log"
    with real_worker(second_log, env=WORKER_ENV):
        summary = result.get(timeout=90)

    assert summary["rules_run"] == len(codes) - held_at  # resumed: the committed rules were not run again
    assert expiring.count() == 1
    assert WarningEvent.objects.filter(warning__in=expiring, action=WarningAction.RAISED).count() == 1
    assert engine.run_rules().as_dict() == {"raised": 0, "escalated": 0, "closed": 0}  # nothing was left
