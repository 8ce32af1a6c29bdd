"""A recompute that stopped reporting says so: its progress page shows the failure and a retry button,
and the retry runs it again as a new job, for an officer who still supervises the park (its park officers,
its provincial officer). Celery runs eagerly in the suite: a job whose worker "died" is one whose state
was left behind in the result backend (PROGRESS with an old heartbeat), or that never started."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse

from registry.models import JurisdictionMembership
from reporting.models import UtilizationSnapshot
from tests.reporting.views_seed import seed_ledger
from wasteparks.celery import app
from wasteparks.periods import Period

FORM = reverse("reporting:recompute")


@pytest.fixture
def ledger(preparer_x, x_store):
    seed_ledger(preparer_x, x_store)


def queue_recompute(client, park) -> str:
    """Start a recompute without running it (its commit hooks are not run): the id the page follows."""
    response = client.post(FORM, {"park": park.pk, "period": str(Period.containing())})
    assert response.status_code == 302
    return response["Location"].rstrip("/").split("/")[-1]


def worker_died_while_running(task_id: str, *, seconds_ago: float = 3600) -> None:
    """What a SIGKILLed worker leaves: the job's last report, an hour old."""
    app.backend.store_result(task_id, {"done": 0, "total": 1, "heartbeat": time.time() - seconds_ago}, "PROGRESS")


def progress_page(client, task_id: str) -> str:
    response = client.get(reverse("reporting:recompute_progress", args=[task_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_job_that_stopped_reporting_shows_the_failure_and_the_retry_runs_it_again(
    client, officer_a, park_a, ledger, django_capture_on_commit_callbacks
):
    client.force_login(officer_a)
    task_id = queue_recompute(client, park_a)
    worker_died_while_running(task_id)

    html = progress_page(client, task_id)
    assert 'data-testid="recompute-stalled"' in html
    assert 'data-state="STALLED"' in html
    assert 'data-testid="recompute-retry"' in html
    assert reverse("reporting:recompute_retry", args=[task_id]) in html
    assert not UtilizationSnapshot.objects.filter(park=park_a).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:recompute_retry", args=[task_id]))
    assert response.status_code == 302
    new_task_id = response["Location"].rstrip("/").split("/")[-1]
    assert new_task_id != task_id
    assert UtilizationSnapshot.objects.filter(park=park_a).exists()
    html = progress_page(client, new_task_id)
    assert 'data-testid="recompute-done"' in html
    assert 'data-testid="recompute-retry"' not in html

    # A second click on the old page follows the retry instead of queuing another one.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = client.post(reverse("reporting:recompute_retry", args=[task_id]))
    assert again["Location"] == reverse("reporting:recompute_progress", args=[new_task_id])
    assert callbacks == []


def test_a_job_still_reporting_is_working_not_stalled(client, officer_a, park_a):
    client.force_login(officer_a)
    task_id = queue_recompute(client, park_a)
    worker_died_while_running(task_id, seconds_ago=5)
    html = progress_page(client, task_id)
    assert 'data-state="PROGRESS"' in html
    assert "recompute-retry" not in html

    # Retrying a job that works is refused without queuing anything: back to its page.
    response = client.post(reverse("reporting:recompute_retry", args=[task_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:recompute_progress", args=[task_id])
    assert len(client.session["reporting_recompute_tasks"]) == 1


def test_a_job_never_picked_up_is_shown_stopped_after_the_threshold(client, officer_a, park_a, settings):
    client.force_login(officer_a)
    task_id = queue_recompute(client, park_a)
    assert 'data-state="PENDING"' in progress_page(client, task_id)  # just queued: waiting for a worker

    settings.JOB_STALLED_AFTER = timedelta(seconds=0)  # as if it had waited longer than the threshold
    html = progress_page(client, task_id)
    assert 'data-state="STALLED"' in html
    assert 'data-testid="recompute-retry"' in html


def test_a_failed_job_offers_the_retry_too(client, officer_a, park_a):
    client.force_login(officer_a)
    task_id = queue_recompute(client, park_a)
    app.backend.mark_as_failure(task_id, RuntimeError("the database went away"))
    html = progress_page(client, task_id)
    assert 'data-testid="recompute-failed"' in html
    assert 'data-testid="recompute-retry"' in html


def test_the_provincial_officer_retries_their_own_job(
    client, provincial, park_a, ledger, django_capture_on_commit_callbacks
):
    client.force_login(provincial)
    task_id = queue_recompute(client, park_a)
    worker_died_while_running(task_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:recompute_retry", args=[task_id]))
    assert response.status_code == 302
    assert UtilizationSnapshot.objects.filter(park=park_a).exists()


def test_an_officer_who_no_longer_supervises_the_park_cannot_retry(
    client, officer_a, officer_b, park_a, park_b, django_capture_on_commit_callbacks
):
    client.force_login(officer_a)
    task_id = queue_recompute(client, park_a)
    worker_died_while_running(task_id)
    # Officer A is moved to park B: the job is still in their session, the park no longer theirs.
    JurisdictionMembership.objects.filter(user=officer_a).update(park=park_b)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("reporting:recompute_retry", args=[task_id]))
    assert response.status_code == 404
    assert callbacks == []
    assert len(client.session["reporting_recompute_tasks"]) == 1


def test_another_officer_cannot_retry_someone_elses_job(client, officer_a, officer_b, park_a):
    client.force_login(officer_a)
    task_id = queue_recompute(client, park_a)
    worker_died_while_running(task_id)
    client.force_login(officer_b)
    assert client.post(reverse("reporting:recompute_retry", args=[task_id])).status_code == 404


def test_enterprise_users_and_strangers_are_refused(client, preparer_x, officer_a, park_a):
    client.force_login(officer_a)
    task_id = queue_recompute(client, park_a)
    retry = reverse("reporting:recompute_retry", args=[task_id])
    client.force_login(preparer_x)
    assert client.post(retry).status_code == 403
    client.logout()
    response = client.post(retry)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bad_requests_to_retry_write_nothing(client, officer_a, park_a):
    client.force_login(officer_a)
    task_id = queue_recompute(client, park_a)
    worker_died_while_running(task_id)
    assert client.get(reverse("reporting:recompute_retry", args=[task_id])).status_code == 405
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.post(reverse("reporting:recompute_retry", args=[unknown])).status_code == 404
    assert client.post(f"/reporting/recompute/{task_id[:8]}/retry/").status_code == 404
    assert len(client.session["reporting_recompute_tasks"]) == 1
