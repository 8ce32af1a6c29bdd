"""List exports too large for a request, built by a Celery task and offered for download when ready.

Every list page exports through `wasteparks.lists.export_if_asked`. When the filtered list holds more
than EXPORT_INLINE_MAX_ROWS rows, that function calls `queue_if_large()` here instead of writing the
file: a BackgroundExport row remembers who asked, the list's path and query string (filters, sort,
format) and the language, the task is queued through the outbox in the same transaction, and the answer
is the export's progress page.

The task builds the file by running the same list view again, as its owner, with the same query: the
rows, columns, filters and tenancy of the export are the list's own, defined once in the list view
(never a second copy here that could drift from the page). Inside that run `export_if_asked` counts the
rows it writes and reports "N of M rows" in the task's state (wasteparks/jobs.py), which the progress
page polls. The file is stored in the database (one table, no shared volume needed between web and
worker machines), kept EXPORT_KEPT_DAYS days for its owner only, then deleted hourly by
`purge_expired`. A finished export tells its owner in the inbox.

Storage in the database was weighed against files under MEDIA_ROOT: exports are at most tens of MB,
few, and short-lived; a database column needs no volume shared by every web and worker container, is
backed up and deleted with the rest, and is served through the same tenancy check as every page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote

from celery import Task, shared_task
from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import inbox, outbox
from .jobs import report_progress
from .models import BackgroundExport, ExportStatus, NotificationKind

logger = logging.getLogger(__name__)

# Progress is reported about this many times over an export (and at least every this many rows).
PROGRESS_REPORTS = 50
_FILENAME = re.compile(r"filename\*=UTF-8''([^;]+)")


@dataclass
class Building:
    """The export being built in this run of a list view: counts the rows as they are written."""

    task: Task | None
    total: int

    def counting(self, rows: Iterable) -> Iterator:
        every = max(1, min(self.total // PROGRESS_REPORTS, 1000)) if self.total else 1000
        for done, row in enumerate(rows, start=1):
            yield row
            if self.task is not None and done % every == 0:
                # Never 100 % before the file is stored: the list may have grown since it was counted.
                report_progress(self.task, done=done, total=max(self.total, done + 1))


def building(request: HttpRequest) -> Building | None:
    """The background export this request builds, or None for a request from a browser."""
    return getattr(request, "_background_export", None)


def queue_if_large(request: HttpRequest, *, source: QuerySet, title: str) -> HttpResponse | None:
    """Queue the export of `source` (the list's filtered rows) if it is too large to build now, and
    answer with its progress page; None when it is small enough for the request."""
    limit = settings.EXPORT_INLINE_MAX_ROWS
    # Counted no further than the limit: a small list costs no full count.
    if source.order_by()[: limit + 1].count() <= limit:
        return None
    export = start_export(
        owner=request.user,
        path=request.path,
        query=request.GET.urlencode(),
        title=title,
        total_rows=source.order_by().count(),
    )
    return redirect("exports:detail", pk=export.pk)


@transaction.atomic
def start_export(*, owner, path: str, query: str, title: str, total_rows: int) -> BackgroundExport:
    """The owner asked for a large export of the list at `path?query`: record it and queue its build."""
    now = timezone.now()
    export = BackgroundExport.objects.create(
        owner=owner,
        title=title[:200],
        path=path,
        query=query,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        total_rows=total_rows,
        created_at=now,
        expires_at=now + timedelta(days=settings.EXPORT_KEPT_DAYS),
    )
    export.task_id = outbox.enqueue(build_export, str(export.pk)).task_id
    export.save(update_fields=["task_id"])
    return export


class ExportNotBuilt(Exception):
    """The list view did not answer with a file (the owner can no longer see the list, or it refused)."""


def _run_list_view(export: BackgroundExport, task: Task | None) -> HttpResponse:
    request = RequestFactory().get(export.path, data=None, QUERY_STRING=export.query)
    request.user = export.owner
    request.session = SessionStore()  # a list view may read the session; nothing of it is kept
    request._background_export = Building(task=task, total=export.total_rows)  # type: ignore[attr-defined]
    match = resolve(export.path)
    with translation.override(export.language):
        response = match.func(request, *match.args, **match.kwargs)
    if response.status_code != 200 or "attachment" not in response.get("Content-Disposition", ""):
        raise ExportNotBuilt(f"the list answered {response.status_code} without a file")
    return response


def _filename(response: HttpResponse) -> str:
    found = _FILENAME.search(response.get("Content-Disposition", ""))
    return unquote(found.group(1)) if found else "export"


def build(*, export_id: str, task: Task | None = None) -> BackgroundExport | None:
    """Build one queued export as its owner sees the list now; store the file and tell the owner.

    Runs again harmlessly: an export already built or failed is left as it is. A list the owner can no
    longer see (their account disabled, their membership gone) fails the export, never shows more."""
    export = BackgroundExport.objects.select_related("owner").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.QUEUED:
        return export
    try:
        if not export.owner.is_active:
            raise ExportNotBuilt("the owner's account is disabled")
        response = _run_list_view(export, task)
    except (OperationalError, InterfaceError):
        raise  # transient: the task retries
    except Exception as error:
        _finish_failed(export, error)
        raise
    with transaction.atomic():
        export.content = response.content
        export.size = len(response.content)
        export.filename = _filename(response)[:255]
        export.content_type = response["Content-Type"][:120]
        export.status = ExportStatus.READY
        export.finished_at = timezone.now()
        export.save(update_fields=["content", "size", "filename", "content_type", "status", "finished_at"])
        title = export.title
        inbox.notify(
            user_ids=[export.owner_id],
            kind=NotificationKind.JOB_FINISHED,
            title=lambda: _("Your export “%(title)s” is ready to download") % {"title": title},
            link=reverse("exports:detail", args=[export.pk]),
            dedup_key=f"export:{export.pk}",
        )
    return export


def _finish_failed(export: BackgroundExport, error: Exception) -> None:
    logger.exception("Background export %s failed", export.pk)
    with transaction.atomic():
        export.status = ExportStatus.FAILED
        export.error = f"{type(error).__name__}: {error}"[:2000]
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        title = export.title
        inbox.notify(
            user_ids=[export.owner_id],
            kind=NotificationKind.JOB_FINISHED,
            title=lambda: _("Your export “%(title)s” could not be built") % {"title": title},
            link=reverse("exports:detail", args=[export.pk]),
            dedup_key=f"export:{export.pk}",
        )


def purge(*, now=None) -> int:
    """Delete the exports past their time; returns how many."""
    deleted, _counts = BackgroundExport.objects.expired(now).delete()
    return deleted


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=5,
    # As the recomputes on the same `long` queue: within the broker's visibility timeout, so a running
    # build is never handed out a second time.
    soft_time_limit=settings.UTILIZATION_TASK_TIME_LIMIT,
    time_limit=settings.UTILIZATION_TASK_TIME_LIMIT + 60,
)
def build_export(self, export_id: str) -> dict:
    """Build a queued background export (thin: the work is `build`)."""
    export = build(export_id=export_id, task=self)
    if export is None:
        return {"status": "missing"}
    return {"status": export.status, "rows": export.total_rows, "size": export.size}


@shared_task(acks_late=True, time_limit=600)
def purge_expired() -> int:
    """Hourly (beat): delete the background exports past their time."""
    return purge()
