"""Background export pages: the user's exports, one export's progress (polled), and its download.

Only whoever asked sees an export: every query goes through `BackgroundExport.objects.of_owner`, so
anyone else's export, like an unknown one, is a 404. An expired export answers 410 Gone.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from . import jobs
from .exports import file_response
from .models import BackgroundExport, ExportStatus
from .pages import SignedInRequest

app_name = "exports"

# Everything but the file itself: the list and the progress page never read the content column.
_LISTED = BackgroundExport.objects.defer("content")


def _status(export: BackgroundExport) -> dict:
    """What the progress page shows: rows written of the rows counted, as a percentage."""
    if export.status == ExportStatus.READY:
        return {"percent": 100, "done": export.total_rows, "total": export.total_rows, "stalled": False}
    if export.status == ExportStatus.FAILED or export.task_id is None:
        return {"percent": 0, "done": 0, "total": export.total_rows, "stalled": False}
    progress = jobs.progress_of(str(export.task_id), queued_at=export.created_at)
    done = int(progress.result.get("done", 0)) if progress.state == jobs.PROGRESS else 0
    total = export.total_rows
    percent = min(99, int(100 * done / total)) if total else 0
    return {"percent": percent, "done": min(done, total), "total": total, "stalled": progress.stalled}


@login_required
def export_list(request: SignedInRequest) -> HttpResponse:
    exports = _LISTED.of_owner(request.user).order_by("-created_at")[:50]
    return render(request, "wasteparks/export_list.html", {"exports": exports})


@login_required
def export_detail(request: SignedInRequest, pk) -> HttpResponse:
    export = get_object_or_404(_LISTED.of_owner(request.user), pk=pk)
    return render(request, "wasteparks/export_detail.html", {"export": export, "status": _status(export)})


@login_required
def export_status(request: SignedInRequest, pk) -> HttpResponse:
    """The partial the progress page polls every two seconds (htmx)."""
    export = get_object_or_404(_LISTED.of_owner(request.user), pk=pk)
    return render(request, "wasteparks/_export_status.html", {"export": export, "status": _status(export)})


@login_required
def export_download(request: SignedInRequest, pk) -> HttpResponse:
    export = get_object_or_404(BackgroundExport.objects.of_owner(request.user), pk=pk)
    if export.is_expired():
        return render(request, "wasteparks/export_detail.html", {"export": export, "status": {}}, status=410)
    if export.status != ExportStatus.READY or export.content is None:
        return render(
            request, "wasteparks/export_detail.html", {"export": export, "status": _status(export)}, status=409
        )
    return file_response(
        bytes(export.content),
        filename=export.filename or "export",
        content_type=export.content_type or "application/octet-stream",
    )


urlpatterns = [
    path("", export_list, name="list"),
    path("<uuid:pk>/", export_detail, name="detail"),
    path("<uuid:pk>/status/", export_status, name="status"),
    path("<uuid:pk>/download/", export_download, name="download"),
]
