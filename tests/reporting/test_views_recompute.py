"""Recompute with progress: an officer starts a recompute of a park and month, then follows it on a
page that polls a partial. Celery runs eagerly in the suite, so the task is done when the page loads."""

import pytest
from django.urls import reverse

from reporting.models import UtilizationSnapshot
from tests.reporting.views_seed import seed_ledger
from wasteparks.periods import Period

FORM = reverse("reporting:recompute")


def this_month() -> Period:
    return Period.containing()


@pytest.fixture
def ledger(preparer_x, x_store):
    seed_ledger(preparer_x, x_store)


def test_an_officer_recomputes_a_month_and_sees_it_done(
    client, officer_a, park_a, ledger, django_capture_on_commit_callbacks
):
    client.force_login(officer_a)
    assert client.get(FORM, {"park": park_a.pk}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, {"park": park_a.pk, "period": str(this_month())})
    assert response.status_code == 302
    progress_url = response["Location"]
    assert UtilizationSnapshot.objects.filter(park=park_a).exists()

    page = client.get(progress_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="recompute-done"' in html
    assert 'data-state="SUCCESS"' in html
    assert f'hx-get="{progress_url}status/"' not in html  # done: the page stops polling
    assert f"{reverse('reporting:dashboard')}?park={park_a.pk}" in html

    partial = client.get(progress_url + "status/")
    assert partial.status_code == 200
    assert b'data-testid="recompute-done"' in partial.content
    assert b"<html" not in partial.content


def test_a_queued_task_is_polled_every_two_seconds(client, officer_a, park_a):
    client.force_login(officer_a)
    # Without running the commit hooks the task is still waiting for a worker.
    response = client.post(FORM, {"park": park_a.pk, "period": str(this_month())})
    html = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert 'data-state="PENDING"' in html


def test_a_future_month_is_refused(client, officer_a, park_a):
    client.force_login(officer_a)
    response = client.post(FORM, {"park": park_a.pk, "period": str(this_month().next())})
    assert response.status_code == 400
    assert response.context["form"].errors["period"]


def test_a_malformed_month_is_refused(client, officer_a, park_a):
    client.force_login(officer_a)
    assert client.post(FORM, {"park": park_a.pk, "period": "2025-13"}).status_code == 400


def test_an_officer_cannot_recompute_another_park(client, officer_b, park_a):
    client.force_login(officer_b)
    response = client.post(FORM, {"park": park_a.pk, "period": str(this_month())})
    assert response.status_code == 400
    assert "park" in response.context["form"].errors


def test_enterprise_users_cannot_recompute(client, preparer_x, park_a):
    client.force_login(preparer_x)
    assert client.get(FORM).status_code == 403
    assert client.post(FORM, {"park": park_a.pk, "period": str(this_month())}).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(FORM)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_session_cannot_follow_the_task(client, officer_a, officer_b, park_a):
    client.force_login(officer_a)
    response = client.post(FORM, {"park": park_a.pk, "period": str(this_month())})
    progress_url = response["Location"]
    client.force_login(officer_b)
    assert client.get(progress_url).status_code == 404
    assert client.get(progress_url + "status/").status_code == 404
