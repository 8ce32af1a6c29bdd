"""Reporting pages: the warning thresholds in force per park, and their changes.

Officers only. A park officer reads the thresholds of the parks they supervise; a provincial officer
reads every park of the province and changes the province's value or a park's override, with a reason.
A park outside the officer's jurisdiction is a 404 like any other object.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from registry.models import Park
from registry.tenancy import scope_of
from wasteparks.errors import DomainError
from wasteparks.pages import SignedInRequest

from ..forms.thresholds import ThresholdForm
from ..models.thresholds import ThresholdLevel, WarningThreshold
from ..warnings.base import text
from ..warnings.thresholds import (
    ParkThresholds,
    may_change_thresholds,
    may_see_thresholds,
    set_threshold,
    thresholds_for,
)

HISTORY_ROWS = 100


def _supervised_parks(request: SignedInRequest):
    """The parks the user supervises as an officer; anyone else is turned away before any lookup."""
    if not may_see_thresholds(request.user):
        raise PermissionDenied
    return Park.objects.filter(scope_of(request.user).q(park="", enterprise=None)).select_related("division")


@login_required
def threshold_list(request: SignedInRequest) -> HttpResponse:
    supervised = _supervised_parks(request)
    parks = list(supervised.order_by("name"))
    table = ParkThresholds.load(supervised)
    rows = []
    for park in parks:
        thresholds = table.for_park(park.pk)
        rows.append({"park": park, "changed": [t for t in thresholds if t.source != "default"]})
    return render(request, "reporting/threshold_list.html", {"rows": rows})


def _history(park: Park) -> list:
    """The changes to the park's overrides and to its province's values, newest first."""
    records = list(
        WarningThreshold.history.filter(Q(park_id=park.pk) | Q(park__isnull=True, province_code=park.province_code))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:HISTORY_ROWS]
    )
    for record in records:
        record.value_text = text(record.value)
    return records


def _render_park(
    request: SignedInRequest, park: Park, form: ThresholdForm | None, *, status: int = 200
) -> HttpResponse:
    can_change = may_change_thresholds(request.user, park.province_code)
    context = {
        "park": park,
        "thresholds": list(thresholds_for(park)),
        "history": _history(park),
        "can_change": can_change,
        "form": (form or ThresholdForm()) if can_change else None,
    }
    return render(request, "reporting/threshold_park.html", context, status=status)


@login_required
def threshold_park(request: SignedInRequest, pk: int) -> HttpResponse:
    park = get_object_or_404(_supervised_parks(request), pk=pk)
    if request.method != "POST":
        return _render_park(request, park, None)
    if not may_change_thresholds(request.user, park.province_code):
        raise PermissionDenied
    form = ThresholdForm(request.POST)
    if not form.is_valid():
        return _render_park(request, park, form, status=400)
    data = form.cleaned_data
    level_is_park = data["level"] == ThresholdLevel.PARK
    try:
        set_threshold(
            actor=request.user,
            key=data["key"],
            value=data["value"],
            reason=data["reason"],
            park=park if level_is_park else None,
            province_code="" if level_is_park else park.province_code,
        )
    except DomainError as error:
        for field, problems in error.fields.items():
            form.add_error(field if field in form.fields else None, problems)
        if not error.fields:
            form.add_error(None, error.message)
        return _render_park(request, park, form, status=error.http_status)
    messages.success(request, _("The threshold is changed."))
    return redirect("reporting:threshold_park", pk=park.pk)


urlpatterns = [
    path("thresholds/", threshold_list, name="threshold_list"),
    path("thresholds/parks/<int:pk>/", threshold_park, name="threshold_park"),
]
