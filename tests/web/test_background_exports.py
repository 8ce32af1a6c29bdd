"""Exports of a list above EXPORT_INLINE_MAX_ROWS are built in the background: the request answers with a
progress page ("N of M rows"), the task builds the file as its owner sees the list, the owner is told in
the inbox and downloads it until it expires. Nobody else sees it. Celery runs eagerly in the suite: the
build runs when the request's commit hooks run."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wasteparks import background_exports, jobs
from wasteparks.celery import app
from wasteparks.models import BackgroundExport, ExportStatus, Notification, NotificationKind

pytestmark = pytest.mark.django_db

LIST = reverse("registry:enterprise_list")


@pytest.fixture
def three_enterprises(enterprise_x, carrier_c, receiver_r, enterprise_y):
    """Officer A sees three enterprises of park A; Y is park B's."""


@pytest.fixture
def small_threshold(settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2


def ask_export(client, fmt="csv", **filters):
    return client.get(LIST, {"export": fmt, **filters})


def test_a_list_within_the_threshold_is_exported_in_the_request(client, officer_a, three_enterprises, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 3
    client.force_login(officer_a)
    response = ask_export(client)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert not BackgroundExport.objects.exists()


def test_a_list_above_the_threshold_is_built_in_the_background_and_downloaded(
    client, officer_a, three_enterprises, enterprise_y, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_export(client)
    export = BackgroundExport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("exports:detail", args=[export.pk])
    assert (export.owner, export.total_rows, export.status) == (officer_a, 3, ExportStatus.READY)

    page = client.get(response["Location"]).content.decode()
    assert 'data-state="ready"' in page and "3 of 3 rows" in page
    assert reverse("exports:status", args=[export.pk]) not in page  # done: no more polling

    download = client.get(reverse("exports:download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="enterprises-')
    body = download.content.decode("utf-8-sig")
    assert "Enterprise X" in body and "Carrier C" in body and "Receiver R" in body
    assert enterprise_y.name not in body  # built as officer A sees the list

    (notification,) = Notification.objects.filter(user=officer_a, kind=NotificationKind.JOB_FINISHED)
    assert notification.link == reverse("exports:detail", args=[export.pk])


def test_the_background_export_keeps_the_lists_filters_and_format(
    client, officer_a, three_enterprises, small_threshold, django_capture_on_commit_callbacks, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client.force_login(officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        ask_export(client, fmt="xlsx", q="er")  # Carrier C, Receiver R, Enterprise X (generator)
    export = BackgroundExport.objects.get()
    assert "q=er" in export.query
    assert export.filename.endswith(".xlsx")
    assert export.content_type.startswith("application/vnd.openxmlformats")


def test_the_progress_is_seen_mid_way(
    client, officer_a, three_enterprises, small_threshold, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(officer_a)
    seen = []
    real_report = background_exports.report_progress

    def report_and_look(task, *, done, total, **extra):
        real_report(task, done=done, total=total, **extra)
        # What the page polling the export shows at this very moment.
        export = BackgroundExport.objects.get()
        seen.append((done, total, client.get(reverse("exports:status", args=[export.pk])).content.decode()))

    monkeypatch.setattr(background_exports, "report_progress", report_and_look)
    with django_capture_on_commit_callbacks(execute=True):
        ask_export(client)
    assert [(done, total) for done, total, _status in seen][:2] == [(1, 3), (2, 3)]
    first_status = seen[0][2]
    assert 'data-state="queued"' in first_status and "1 of 3 rows" in first_status and "33 %" in first_status
    assert reverse("exports:status", args=[BackgroundExport.objects.get().pk]) in first_status  # still polling


def test_a_queued_export_is_polled_and_reads_its_progress_from_the_task(
    client, officer_a, three_enterprises, small_threshold
):
    client.force_login(officer_a)
    ask_export(client)  # the commit hooks do not run: the build is still waiting for a worker
    export = BackgroundExport.objects.get()
    page = client.get(reverse("exports:detail", args=[export.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "0 of 3 rows" in page
    app.backend.store_result(str(export.task_id), {"done": 2, "total": 3, "heartbeat": 0}, jobs.PROGRESS)
    status = client.get(reverse("exports:status", args=[export.pk])).content.decode()
    assert "2 of 3 rows" in status and "66 %" in status
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 409


def test_nobody_else_sees_or_downloads_an_export(
    client, officer_a, officer_b, provincial, three_enterprises, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        ask_export(client)
    export = BackgroundExport.objects.get()
    for other in (officer_b, provincial):
        client.force_login(other)
        for name in ("exports:detail", "exports:status", "exports:download"):
            assert client.get(reverse(name, args=[export.pk])).status_code == 404
        assert str(export.pk) not in client.get(reverse("exports:list")).content.decode()


def test_an_expired_export_is_gone_and_purged(
    client, officer_a, three_enterprises, small_threshold, django_capture_on_commit_callbacks
):
    client.force_login(officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        ask_export(client)
    export = BackgroundExport.objects.get()
    BackgroundExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 410
    assert background_exports.purge() == 1
    assert client.get(reverse("exports:detail", args=[export.pk])).status_code == 404


def test_an_export_whose_owner_was_disabled_fails_and_holds_no_file(
    client, officer_a, three_enterprises, small_threshold
):
    client.force_login(officer_a)
    ask_export(client)
    export = BackgroundExport.objects.get()
    officer_a.is_active = False
    officer_a.save()
    with pytest.raises(background_exports.ExportNotBuilt):
        background_exports.build(export_id=str(export.pk))
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and export.content is None
    # Delivered again: left as it is.
    assert background_exports.build(export_id=str(export.pk)).status == ExportStatus.FAILED


def test_the_export_pages_need_a_login(client, officer_a):
    response = client.get(reverse("exports:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_export_is_a_404(client, officer_a):
    client.force_login(officer_a)
    assert client.get(reverse("exports:detail", args=["00000000-0000-4000-8000-000000000000"])).status_code == 404
    assert client.get("/exports/not-a-uuid/").status_code == 404
