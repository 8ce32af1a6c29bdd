"""Reporting pages: the officers' dashboard (a park, or a province) and the recompute with progress."""

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.models import Park
from registry.tenancy import scope_of
from wasteparks.db_router import reads_from_replica
from wasteparks.errors import DomainError
from wasteparks.pages import SignedInRequest
from wasteparks.parsing import ascii_whole_number
from wasteparks.periods import Period, local_date
from wasteparks.workdays import uncovered_year

from ..forms.dashboard import RecomputeForm
from ..querysets.devices import devices_with_health
from ..services import dashboard as services

SESSION_TASKS = "reporting_recompute_tasks"
# Registrations waiting for verification listed on the dashboard; the rest are one link away.
PENDING_SHOWN = 5
# Devices listed with their latest reading; the rest are on their enterprises' pages' warnings.
DEVICES_SHOWN = 20
# The session remembers this many recomputes (the newest): enough for an officer's morning.
SESSION_TASKS_KEPT = 20


def supervised_parks(request: SignedInRequest):
    """The parks this officer supervises (not the park an enterprise user merely belongs to)."""
    scope = scope_of(request.user)
    if not scope.is_officer and not scope.everything:
        raise PermissionDenied(_("The dashboard is for park and provincial officers."))
    return Park.objects.filter(scope.q(park="", enterprise=None)).select_related("division").order_by("name")


def _chart_labels() -> dict:
    return {
        "rate": _("Utilization rate (rolling 12 months)"),
        "target": _("Target"),
        "generated": _("Generated"),
        "utilized": _("Utilized"),
        "disposed": _("Disposed of"),
        "stored": _("Stored"),
        "tonnes": _("t"),
        "no_data": _("No data"),
    }


@login_required
@reads_from_replica
def dashboard(request: SignedInRequest) -> HttpResponse:
    """A park officer sees their park (one of several, picked); a provincial officer the province
    and, per park, the comparison table (or one park, picked)."""
    parks = supervised_parks(request)
    scope = scope_of(request.user)
    park_list = list(parks)
    chosen = request.GET.get("park", "")
    province_code = request.GET.get("province", "")
    provinces = sorted(scope.province_codes)
    if chosen:
        park = get_object_or_404(parks, pk=number) if (number := ascii_whole_number(chosen)) is not None else None
        if park is None:
            raise Http404
        subject = services.Subject.of_park(park)
    elif provinces:
        if province_code and province_code not in provinces:
            raise Http404
        subject = services.Subject.of_province(province_code or provinces[0])
    elif park_list:
        subject = services.Subject.of_park(park_list[0])
    else:
        raise Http404
    board = services.build_dashboard(subject)
    parks_sorted, sort = services.sort_parks(board.parks, request.GET.get("sort", "park"))
    # One more than shown, to know whether to offer the rest: one query whatever the number waiting.
    pending = list(subject.enterprises().pending_verification().select_related("park")[: PENDING_SHOWN + 1])
    devices = list(devices_with_health(subject.enterprises(), now=timezone.now())[: DEVICES_SHOWN + 1])
    return render(
        request,
        "reporting/dashboard.html",
        {
            "board": board,
            "subject": subject,
            "parks": park_list,
            "provinces": provinces,
            "park_rows": parks_sorted,
            "sort": sort,
            "data": services.chart_data(board, _chart_labels()),
            "can_recompute": subject.park is not None,
            "pending_registrations": pending[:PENDING_SHOWN],
            "more_pending": len(pending) > PENDING_SHOWN,
            # One more than shown, as above; the devices' latest readings and health (docs/telemetry.md).
            "devices": devices[:DEVICES_SHOWN],
            "more_devices": len(devices) > DEVICES_SHOWN,
            # A month ahead, and until it is installed: the year whose holiday arrangement the working-day
            # counts lack (wasteparks/workdays.py), so officers know which deadlines go unchecked.
            "calendar_missing_year": uncovered_year(local_date()),
            # CO2e avoided by the subject's utilization and emitted by its transport over the rolling 12
            # months of the rate beside them (reporting/services/dashboard.py).
            "carbon": board.carbon["figures"],
            "carbon_period": board.period.rolling(services.TREND_MONTHS),
            # Each enterprise's figures of the last ended month, as a spreadsheet (views/carbon.py).
            "carbon_export_month": board.period.previous(),
            "carbon_export_query": urlencode(
                {"park": subject.park.pk} if subject.park is not None else {"province": subject.province_code}
            ),
        },
    )


# --- recompute with progress ----------------------------------------------------------------------


@login_required
def recompute(request: SignedInRequest) -> HttpResponse:
    """The form (GET) and the start of a recompute (POST), then the progress page."""
    parks = supervised_parks(request)
    initial_park = request.GET.get("park")
    scope = scope_of(request.user)
    form = RecomputeForm(
        request.POST or None,
        parks=parks,
        province_codes=None if scope.everything else frozenset(scope.province_codes),
        initial={"park": initial_park} if ascii_whole_number(initial_park) is not None else None,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            park, period = form.cleaned_data["park"], form.cleaned_data["period"]
            try:
                task_id = _start(
                    request,
                    park=park,
                    period=period,
                    whole_year=form.cleaned_data["whole_year"],
                    whole_province=form.cleaned_data.get("whole_province", False),
                )
            except DomainError as error:
                form.add_error("period" if "period" in error.fields else None, error.message)
                status = error.http_status
            else:
                return redirect("reporting:recompute_progress", task_id=task_id)
        else:
            status = 400
    return render(request, "reporting/recompute_form.html", {"form": form}, status=status)


def _start(
    request: SignedInRequest, *, park: Park, period: Period, whole_year: bool = False, whole_province: bool = False
) -> str:
    """Queue the recompute and remember it in this session, with when it was queued (a job silent for
    too long since then is shown as stopped)."""
    task_id = services.start_recompute(park=park, period=period, whole_year=whole_year, whole_province=whole_province)
    tasks = request.session.get(SESSION_TASKS, {})
    tasks[task_id] = {
        "park": park.pk,
        "park_name": park.name,
        "period": str(period.year) if whole_year else str(period),
        "whole_province": whole_province,
        "queued_at": timezone.now().isoformat(),
    }
    request.session[SESSION_TASKS] = dict(list(tasks.items())[-SESSION_TASKS_KEPT:])
    return task_id


def _own_task(request: SignedInRequest, task_id: str) -> dict:
    # Only the recomputes this session started: a task id seen elsewhere reveals nothing.
    task = request.session.get(SESSION_TASKS, {}).get(str(task_id))
    if task is None:
        raise Http404
    return task


def _progress(task: dict, task_id: str) -> dict:
    queued_at = datetime.fromisoformat(task["queued_at"]) if task.get("queued_at") else None
    return services.task_progress(str(task_id), queued_at=queued_at)


@login_required
def recompute_progress(request: SignedInRequest, task_id: str) -> HttpResponse:
    supervised_parks(request)
    task = _own_task(request, task_id)
    return render(
        request,
        "reporting/recompute_progress.html",
        {"task": task, "task_id": task_id, "progress": _progress(task, task_id)},
    )


@login_required
def recompute_status(request: SignedInRequest, task_id: str) -> HttpResponse:
    """The partial the progress page polls every two seconds (htmx)."""
    supervised_parks(request)
    task = _own_task(request, task_id)
    return render(
        request,
        "reporting/_recompute_status.html",
        {"task": task, "task_id": task_id, "progress": _progress(task, task_id)},
    )


@login_required
@require_POST
def recompute_retry(request: SignedInRequest, task_id: str) -> HttpResponse:
    """Run a recompute that failed or stopped reporting again, as a new job; only for an officer who
    still supervises its park (the park's officers, the province's)."""
    parks = supervised_parks(request)
    task = _own_task(request, task_id)
    park = get_object_or_404(parks, pk=task["park"])
    if task.get("retried_as"):  # a second click: follow the retry already running
        return redirect("reporting:recompute_progress", task_id=task["retried_as"])
    progress = _progress(task, task_id)
    if not (progress["failed"] or progress["stalled"]):
        return redirect("reporting:recompute_progress", task_id=task_id)  # still working, or done
    year, _dash, month = task["period"].partition("-")  # "2025" for a whole year, else "2025-03"
    try:
        new_task_id = _start(
            request,
            park=park,
            period=Period.month_of(int(year), int(month or 1)),
            whole_year=not month,
            whole_province=task.get("whole_province", False),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("reporting:recompute_progress", task_id=task_id)
    tasks = request.session[SESSION_TASKS]
    if str(task_id) in tasks:
        tasks[str(task_id)]["retried_as"] = new_task_id
        request.session[SESSION_TASKS] = tasks  # saved: the session does not see a change inside the dict
    return redirect("reporting:recompute_progress", task_id=new_task_id)


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("recompute/", recompute, name="recompute"),
    path("recompute/<uuid:task_id>/", recompute_progress, name="recompute_progress"),
    path("recompute/<uuid:task_id>/status/", recompute_status, name="recompute_status"),
    path("recompute/<uuid:task_id>/retry/", recompute_retry, name="recompute_retry"),
]
