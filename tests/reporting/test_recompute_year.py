"""Recompute a whole year, or a whole province, from the recompute page: a Celery job that recomputes month
by month and reports "N of M months" on its progress page, with the retry of a stopped job. Celery runs
eagerly in the suite; the progress mid-way is read from inside the job, after each month."""

import time

import pytest
from django.urls import reverse

from reporting.models import UtilizationSnapshot
from tests.reporting.views_seed import seed_ledger
from wasteparks import jobs
from wasteparks.celery import app
from wasteparks.periods import Period

pytestmark = pytest.mark.django_db

FORM = reverse("reporting:recompute")


def last_year() -> Period:
    """December of last year: the whole year has begun, whatever today's date (12 months)."""
    return Period.month_of(Period.containing().year - 1, 12)


@pytest.fixture
def ledger(preparer_x, x_store):
    seed_ledger(preparer_x, x_store)


def task_id_of(response) -> str:
    assert response.status_code == 302, response.content
    return response["Location"].rstrip("/").split("/")[-1]


def test_an_officer_recomputes_last_year_month_by_month_and_sees_each_month_done(
    client, officer_a, park_a, ledger, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(officer_a)
    seen = []
    real_report = jobs.report_progress

    def report_and_look(task, *, done, total, **extra):
        real_report(task, done=done, total=total, **extra)
        # What the page polling the job shows at this very moment.
        status = client.get(reverse("reporting:recompute_status", args=[task.request.id])).content.decode()
        seen.append((done, total, status))

    monkeypatch.setattr(jobs, "report_progress", report_and_look)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, {"park": park_a.pk, "period": str(last_year()), "whole_year": "on"})
    task_id = task_id_of(response)

    assert [(done, total) for done, total, _status in seen] == [(month, 12) for month in range(13)]
    third = seen[3][2]
    assert 'data-state="PROGRESS"' in third
    assert 'data-done="3" data-total="12"' in third and "3 of 12 months recomputed" in third
    assert "25 %" in third

    page = client.get(reverse("reporting:recompute_progress", args=[task_id])).content.decode()
    assert 'data-state="SUCCESS"' in page and "12 of 12 months recomputed" in page
    assert f"Recomputing {park_a.name}, {last_year().year}" in page


def test_the_current_year_is_recomputed_up_to_this_month(
    client, officer_a, park_a, ledger, django_capture_on_commit_callbacks
):
    client.force_login(officer_a)
    this_month = Period.containing()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, {"park": park_a.pk, "period": str(this_month), "whole_year": "on"})
    page = client.get(response["Location"]).content.decode()
    assert f"{this_month.month} of {this_month.month} months recomputed" in page
    # The seeded ledger is this month's: the park's figures for it are written.
    assert UtilizationSnapshot.objects.filter(park=park_a).for_period(this_month).exists()


def test_a_provincial_officer_recomputes_the_whole_province(
    client, provincial, park_a, park_b, ledger, preparer_y, enterprise_y, django_capture_on_commit_callbacks
):
    from tests import factories as f
    from tests.reporting.views_seed import record
    from transfers.models import LedgerStage

    y_store = f.FacilityFactory(enterprise=enterprise_y, name="Y store", capacity_t=1000)
    record(preparer_y, y_store, "SW02", LedgerStage.GENERATED, "30")
    client.force_login(provincial)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, {"park": park_a.pk, "period": str(Period.containing()), "whole_province": "on"})
    page = client.get(response["Location"]).content.decode()
    assert "whole province" in page and 'data-state="SUCCESS"' in page
    # Park B's rows too, though the form named park A.
    assert UtilizationSnapshot.objects.filter(park=park_b).exists()
    assert UtilizationSnapshot.objects.filter(park=park_a).exists()


def test_a_park_officer_cannot_recompute_the_whole_province(client, officer_a, park_a):
    client.force_login(officer_a)
    assert "whole_province" not in client.get(FORM).context["form"].fields
    response = client.post(FORM, {"park": park_a.pk, "period": str(Period.containing()), "whole_province": "on"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


def test_a_future_year_is_refused_and_nothing_is_queued(client, officer_a, park_a, django_capture_on_commit_callbacks):
    client.force_login(officer_a)
    future = Period.month_of(Period.containing().year + 1, 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(FORM, {"park": park_a.pk, "period": str(future), "whole_year": "on"})
    assert response.status_code == 400
    assert callbacks == []


def test_a_stopped_year_recompute_is_run_again_as_a_whole_year(
    client, officer_a, park_a, ledger, django_capture_on_commit_callbacks
):
    client.force_login(officer_a)
    this_month = Period.containing()
    task_id = task_id_of(client.post(FORM, {"park": park_a.pk, "period": str(this_month), "whole_year": "on"}))
    app.backend.store_result(
        task_id, {"done": 0, "total": this_month.month, "heartbeat": time.time() - 3600}, "PROGRESS"
    )
    assert (
        'data-state="STALLED"' in client.get(reverse("reporting:recompute_progress", args=[task_id])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        retry = client.post(reverse("reporting:recompute_retry", args=[task_id]))
    new_page = client.get(retry["Location"]).content.decode()
    assert f"{this_month.month} of {this_month.month} months recomputed" in new_page
    assert f"Recomputing {park_a.name}, {this_month.year}" in new_page


def test_a_year_that_outlasts_one_deliverys_time_limit_goes_on_from_the_next_month(park_a, ledger, monkeypatch):
    import uuid

    from celery.exceptions import Retry, SoftTimeLimitExceeded

    from reporting.services import utilization
    from reporting.tasks.utilization import recompute_span

    real = utilization.recompute_period
    months_run = []

    def slow_fourth(**kwargs):
        if len(months_run) == 3 and not getattr(slow_fourth, "tripped", False):
            slow_fourth.tripped = True
            raise SoftTimeLimitExceeded()
        months_run.append(kwargs["month"])
        return real(**kwargs)

    monkeypatch.setattr(utilization, "recompute_period", slow_fourth)
    task_id = str(uuid.uuid4())
    # The first delivery runs out of time in April and asks to be retried (a worker sends the retry under
    # the same task id); the retry goes on from April.
    with pytest.raises(Retry):
        recompute_span.apply(args=[park_a.pk, last_year().year, None, False], task_id=task_id)
    assert months_run == [1, 2, 3]
    result = recompute_span.apply(args=[park_a.pk, last_year().year, None, False], task_id=task_id).get()
    assert months_run == list(range(1, 13))  # each month once, none twice
    assert result["months"] == 12
    assert jobs.progress_of(task_id, queued_at=None).done
