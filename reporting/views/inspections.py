"""Reporting pages: inspections (list with filters and export, detail, record one, record its
rectification). Officers only: an inspection is the officers' own working record."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.models import Enterprise
from registry.tenancy import scope_of
from wasteparks.errors import DomainError
from wasteparks.lists import export_if_asked, lazily, page_of, sort_by_request
from wasteparks.pages import SignedInRequest
from wasteparks.parsing import ascii_whole_number

from ..forms.inspections import InspectionFilterForm, InspectionForm, RectifiedForm
from ..models.inspections import Inspection, InspectionState
from ..models.warnings import Warning
from ..services import inspections as services

STATES = dict(InspectionState.choices)
SORTS = {
    "date": ["date"],
    "enterprise": ["enterprise__name"],
    "deadline": ["rectification_deadline"],
    "state": ["state"],
}


def _officer_only(request: SignedInRequest) -> None:
    scope = scope_of(request.user)
    if not scope.is_officer and not scope.everything:
        raise PermissionDenied(_("Inspections are for park and provincial officers."))


def _inspections(request: SignedInRequest):
    return Inspection.objects.visible_to(request.user).with_state(timezone.localdate())


@login_required
def inspection_list(request: SignedInRequest) -> HttpResponse:
    _officer_only(request)
    form = InspectionFilterForm(request.GET, user=request.user)
    form.is_valid()
    data = form.cleaned_data
    inspections = _inspections(request).select_related("enterprise", "park", "officer")
    if enterprise := data.get("enterprise"):
        inspections = inspections.filter(enterprise=enterprise)
    if kind := data.get("kind"):
        inspections = inspections.filter(kind=kind)
    if state := data.get("state"):
        inspections = inspections.filter(state=state)
    if date_from := data.get("date_from"):
        inspections = inspections.filter(date__gte=date_from)
    if date_to := data.get("date_to"):
        inspections = inspections.filter(date__lte=date_to)
    inspections, sort = sort_by_request(inspections, request, SORTS, "-date")

    exported = export_if_asked(
        request,
        "inspections",
        _("Inspections"),
        [
            _("Date"),
            _("Kind"),
            _("Enterprise"),
            _("Park"),
            _("Officer"),
            _("Findings"),
            _("Required rectification"),
            _("Rectification deadline"),
            _("Status"),
        ],
        (
            [
                i.date,
                i.get_kind_display(),
                i.enterprise.name,
                i.park.name,
                str(i.officer),
                i.findings,
                i.required_rectification,
                i.rectification_deadline,
                str(STATES.get(i.state, i.state)),
            ]
            for i in lazily(inspections)
        ),
    )
    if exported:
        return exported
    return render(
        request,
        "reporting/inspection_list.html",
        {"form": form, "page": page_of(request, inspections), "sort": sort},
    )


def _visible(request: SignedInRequest, pk: int) -> Inspection:
    return get_object_or_404(
        _inspections(request).select_related("enterprise", "park__division", "officer", "rectified_by"), pk=pk
    )


def _detail(request: SignedInRequest, inspection: Inspection, status: int = 200, **overrides) -> HttpResponse:
    scope = scope_of(request.user)
    context = {
        "inspection": inspection,
        "linked_warnings": list(inspection.warnings.select_related("enterprise")),
        "can_act": inspection.status == "open" and scope.supervises_park(inspection.park),
        "rectified_form": RectifiedForm(),
    }
    context.update(overrides)
    return render(request, "reporting/inspection_detail.html", context, status=status)


@login_required
def inspection_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    _officer_only(request)
    return _detail(request, _visible(request, pk))


@login_required
def inspection_new(request: SignedInRequest) -> HttpResponse:
    """Record an inspection; from an enterprise page (?enterprise=) or a warning page (?warning=, which
    pre-links the warning and its enterprise)."""
    _officer_only(request)
    initial, enterprise = {}, None
    source = request.POST if request.method == "POST" else request.GET
    if (warning_id := ascii_whole_number(request.GET.get("warning"))) is not None:
        warning = get_object_or_404(Warning.objects.visible_to(request.user), pk=warning_id)
        initial["warnings"] = [warning.pk]
        if warning.enterprise_id:
            initial["enterprise"] = warning.enterprise_id
    enterprise_id = ascii_whole_number(str(source.get("enterprise") or initial.get("enterprise") or ""))
    if enterprise_id is not None:
        enterprise = Enterprise.objects.visible_to(request.user).filter(pk=enterprise_id).first()
        if enterprise is not None:
            initial.setdefault("enterprise", enterprise.pk)
    form = InspectionForm(request.POST or None, user=request.user, enterprise=enterprise, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection = services.record_inspection(
                    actor=request.user,
                    enterprise=data["enterprise"],
                    date=data["date"],
                    kind=data["kind"],
                    findings=data["findings"],
                    required_rectification=data["required_rectification"],
                    rectification_deadline=data["rectification_deadline"],
                    warnings=list(data["warnings"]),
                )
            except DomainError as error:
                field = next((name for name in error.fields if name in form.fields), None)
                form.add_error(field, error.message)
                status = error.http_status
            else:
                messages.success(request, _("The inspection is recorded."))
                return redirect("reporting:inspection_detail", pk=inspection.pk)
        else:
            status = 400
    return render(request, "reporting/inspection_form.html", {"form": form}, status=status)


@login_required
@require_POST
def inspection_rectified(request: SignedInRequest, pk: int) -> HttpResponse:
    _officer_only(request)
    inspection = _visible(request, pk)
    form = RectifiedForm(request.POST)
    if not form.is_valid():
        return _detail(request, inspection, status=400, rectified_form=form)
    try:
        services.mark_inspection_rectified(inspection=inspection, actor=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, error.message)
        return _detail(request, inspection, status=error.http_status, rectified_form=form)
    messages.success(request, _("The rectification is recorded."))
    return redirect("reporting:inspection_detail", pk=pk)


urlpatterns = [
    path("inspections/", inspection_list, name="inspection_list"),
    path("inspections/new/", inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/rectified/", inspection_rectified, name="inspection_rectified"),
]
