"""Reporting pages: early warnings (list with filters and export, detail, the officers' actions).

Everyone sees the warnings in their scope (enterprise users their own enterprise's, read-only); the
officers of the warning's park act on it. Views stay thin: forms validate, the services decide.
"""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.tenancy import scope_of
from wasteparks.db_router import reads_from_replica
from wasteparks.errors import DomainError
from wasteparks.lists import export_if_asked, lazily, page_of, sort_by_request
from wasteparks.pages import SignedInRequest, refused
from wasteparks.parsing import ascii_whole_number

from ..forms.warnings import AssignForm, NoteForm, RequiredNoteForm, WarningFilterForm
from ..models.warnings import Warning, WarningAction, WarningStatus
from ..warnings import evidence as evidence_labels
from ..warnings import lifecycle
from ..warnings.lifecycle import WARNING_FLOW
from ..warnings.thresholds import may_see_thresholds

SEVERITY_ORDER = Case(
    When(severity="critical", then=Value(2)),
    When(severity="warning", then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)
SORTS = {
    "raised_at": ["raised_at"],
    "severity": ["severity_rank", "raised_at"],
    "rule": ["rule"],
    "status": ["status"],
    "enterprise": ["enterprise__name"],
    "park": ["park__name"],
}
# --- list -----------------------------------------------------------------------------------------


def _filtered(request: SignedInRequest, form: WarningFilterForm):
    warnings = Warning.objects.visible_to(request.user).with_details().annotate(severity_rank=SEVERITY_ORDER)
    form.is_valid()
    data = form.cleaned_data
    if rule := data.get("rule"):
        warnings = warnings.of_rule(rule)
    if severity := data.get("severity"):
        warnings = warnings.filter(severity=severity)
    if status := data.get("status"):
        warnings = warnings.live() if status == "live" else warnings.filter(status=status)
    if enterprise := data.get("enterprise"):
        warnings = warnings.filter(enterprise=enterprise)
    if raised_from := data.get("raised_from"):
        warnings = warnings.filter(raised_at__date__gte=raised_from)
    if raised_to := data.get("raised_to"):
        warnings = warnings.filter(raised_at__date__lte=raised_to)
    if (park := ascii_whole_number(request.GET.get("park"))) is not None:
        warnings = warnings.filter(park_id=park)
    return warnings


def _sorted(queryset, request: SignedInRequest):
    return sort_by_request(queryset, request, SORTS, "-raised_at")


def _export(request: SignedInRequest, warnings) -> HttpResponse | None:
    header = [
        _("Raised at"),
        _("Severity"),
        _("Rule"),
        _("Status"),
        _("Park"),
        _("Enterprise"),
        _("Message"),
        _("Assignee"),
        _("Closed at"),
    ]
    rows = (
        [
            warning.raised_at,
            warning.get_severity_display(),
            warning.rule,
            warning.get_status_display(),
            warning.park.name,
            warning.enterprise.name if warning.enterprise_id else "",
            warning.message,
            str(warning.assignee) if warning.assignee_id else "",
            warning.closed_at,
        ]
        for warning in lazily(warnings)
    )
    return export_if_asked(request, "warnings", _("Warnings"), header, rows)


@login_required
@reads_from_replica
def warning_list(request: SignedInRequest) -> HttpResponse:
    form = WarningFilterForm(request.GET, user=request.user)
    warnings, sort = _sorted(_filtered(request, form), request)
    exported = _export(request, warnings)
    if exported:
        return exported
    return render(
        request,
        "reporting/warning_list.html",
        {
            "form": form,
            "page": page_of(request, warnings),
            "sort": sort,
            "shows_thresholds": may_see_thresholds(request.user),
        },
    )


# --- detail and actions ---------------------------------------------------------------------------


def _visible(request: SignedInRequest, pk: int) -> Warning:
    return get_object_or_404(
        Warning.objects.visible_to(request.user).select_related(
            "park__division",
            "enterprise",
            "assignee",
            "manifest",
            "permit",
            "facility",
            "approval",
            "report__enterprise",
        ),
        pk=pk,
    )


def _datetime_or_none(text: str):
    try:
        moment = parse_datetime(text)
    except ValueError:
        return None
    return moment if moment is not None and timezone.is_aware(moment) else None


def _evidence_rows(evidence) -> list[tuple[str, str]]:
    """The evidence as (name, value) rows: numbers as they are, anything nested as compact JSON."""
    if not isinstance(evidence, dict):
        return [("", json.dumps(evidence, ensure_ascii=False))]
    rows = []
    for name, value in evidence_labels.rows(evidence):
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, str) and (moment := _datetime_or_none(value)) is not None:
            value = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        rows.append((name, "—" if value is None else str(value)))
    return rows


def _subjects(warning: Warning) -> list[dict[str, str | None]]:
    """What the warning is about, each with a link to its page (a transfer approval has none)."""
    subjects: list[dict[str, str | None]] = []
    if (manifest := warning.manifest) is not None:
        subjects.append(
            {
                "kind": _("Manifest"),
                "label": manifest.number or f"#{manifest.pk}",
                "url": reverse("transfers:manifest_detail", args=[manifest.pk]),
                "testid": "subject-manifest",
            }
        )
    if (enterprise := warning.enterprise) is not None:
        subjects.append(
            {
                "kind": _("Enterprise"),
                "label": enterprise.name,
                "url": reverse("reporting:enterprise_detail", args=[enterprise.pk]),
                "testid": "subject-enterprise",
            }
        )
    if (permit := warning.permit) is not None:
        subjects.append(
            {
                "kind": _("Permit"),
                "label": permit.number,
                "url": reverse("registry:permit_list") + "?" + urlencode({"q": permit.number}),
                "testid": "subject-permit",
            }
        )
    if (facility := warning.facility) is not None:
        subjects.append(
            {
                "kind": _("Facility"),
                "label": facility.name,
                "url": reverse("transfers:stock_list") + "?" + urlencode({"q": facility.name}),
                "testid": "subject-facility",
            }
        )
    if warning.approval_id:
        subjects.append(
            {"kind": _("Transfer approval"), "label": str(warning.approval), "url": None, "testid": "subject-approval"}
        )
    if warning.report_id:
        subjects.append(
            {
                "kind": _("Monthly report"),
                "label": str(warning.report),
                "url": reverse("reporting:report_detail", args=[warning.report_id]),
                "testid": "subject-report",
            }
        )
    subjects.append(
        {
            "kind": _("Park"),
            "label": warning.park.name,
            "url": reverse("reporting:dashboard") + f"?park={warning.park_id}",
            "testid": "subject-park",
        }
    )
    return subjects


def _context(request: SignedInRequest, warning: Warning, **overrides) -> dict:
    scope = scope_of(request.user)
    can_act = warning.is_live and scope.supervises_park(warning.park)
    context = {
        "warning": warning,
        "evidence": _evidence_rows(warning.evidence),
        "subjects": _subjects(warning),
        "events": list(warning.events.select_related("actor")),
        "can_act": can_act,
        "can_acknowledge": can_act and warning.status == WarningStatus.OPEN,
        "acknowledge_form": NoteForm(prefix="acknowledge"),
        "assign_form": AssignForm(prefix="assign", warning=warning) if can_act else None,
        "resolve_form": RequiredNoteForm(prefix="resolve"),
        "dismiss_form": RequiredNoteForm(prefix="dismiss"),
        "inspection_url": reverse("reporting:inspection_new") if scope.supervises_park(warning.park) else None,
        # The follow-up, both ways: the inspections that linked this warning, with their rectification.
        "inspections": list(
            warning.inspections.visible_to(request.user)
            .with_state(timezone.localdate())
            .select_related("officer")
            .order_by("-date", "-pk")
        ),
        "inspection_links": scope.is_officer or scope.everything,
        "open_form": "",
    }
    context.update(overrides)
    return context


def _render_detail(request: SignedInRequest, warning: Warning, *, status: int = 200, **overrides) -> HttpResponse:
    return render(request, "reporting/warning_detail.html", _context(request, warning, **overrides), status=status)


@login_required
def warning_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible(request, pk))


@login_required
@require_POST
def warning_action(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    warning = _visible(request, pk)
    if action not in WARNING_FLOW:
        raise Http404
    form: AssignForm | NoteForm
    if action == WarningAction.ASSIGN:
        form = AssignForm(request.POST, prefix="assign", warning=warning)
    elif action == WarningAction.ACKNOWLEDGE:
        form = NoteForm(request.POST, prefix="acknowledge")
    else:
        form = RequiredNoteForm(request.POST, prefix=action)
    kept = {f"{action}_form": form, "open_form": action}
    if not form.is_valid():
        return _render_detail(request, warning, status=400, **kept)
    note = form.cleaned_data.get("note", "")
    try:
        if action == WarningAction.ACKNOWLEDGE:
            lifecycle.acknowledge_warning(warning=warning, actor=request.user, note=note)
            messages.success(request, _("The warning is acknowledged."))
        elif action == WarningAction.ASSIGN:
            assignee = form.cleaned_data["assignee"]
            lifecycle.assign_warning(warning=warning, actor=request.user, assignee=assignee, note=note)
            messages.success(request, _("The warning is assigned to %(user)s.") % {"user": assignee})
        elif action == WarningAction.RESOLVE:
            lifecycle.resolve_warning(warning=warning, actor=request.user, note=note)
            messages.success(request, _("The warning is resolved."))
        else:
            lifecycle.dismiss_warning(warning=warning, actor=request.user, note=note)
            messages.success(request, _("The warning is dismissed."))
    except DomainError as error:
        warning.refresh_from_db()
        return refused(request, error, lambda **page: _render_detail(request, warning, **page), **kept)
    return redirect("reporting:warning_detail", pk=pk)


urlpatterns = [
    path("warnings/", warning_list, name="warning_list"),
    path("warnings/<int:pk>/", warning_detail, name="warning_detail"),
    path("warnings/<int:pk>/<str:action>/", warning_action, name="warning_action"),
]
