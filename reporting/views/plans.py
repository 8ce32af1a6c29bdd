"""Annual management plans: pages. The plans the user may see; an enterprise's filers start, edit and
submit its plan, its park's officers accept or return it (reporting/services/plans.py does the work)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.tenancy import scope_of
from wasteparks.errors import DomainError
from wasteparks.lists import page_of
from wasteparks.pages import SignedInRequest, refused
from wasteparks.periods import local_date

from ..forms.plans import PlanLineFormSet, StartPlanForm
from ..forms.reports import CommentForm, ReturnForm
from ..models.plans import PLAN_FIGURES, ManagementPlan, ManagementPlanEvent, ManagementPlanLine
from ..rules.reports import FILING_ROLES
from ..services import plans as services


def _visible(request: SignedInRequest, pk: int) -> ManagementPlan:
    plans = ManagementPlan.objects.visible_to(request.user).select_related("enterprise__park")
    return get_object_or_404(plans, pk=pk)


@login_required
def plan_list(request: SignedInRequest) -> HttpResponse:
    plans = ManagementPlan.objects.visible_to(request.user).select_related("enterprise").order_by("-year", "pk")
    start_form = StartPlanForm(user=request.user, initial={"year": local_date().year})
    context = {"page": page_of(request, plans), "start_form": start_form if start_form.offers_an_enterprise() else None}
    return render(request, "reporting/plan_list.html", context)


@login_required
@require_POST
def plan_start(request: SignedInRequest) -> HttpResponse:
    form = StartPlanForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("reporting:plan_list")
    try:
        plan = services.create_management_plan(
            actor=request.user, enterprise=form.cleaned_data["enterprise"], year=form.cleaned_data["year"], lines=[]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("reporting:plan_list")
    return redirect("reporting:plan_detail", pk=plan.pk)


def _render(request: SignedInRequest, plan: ManagementPlan, *, status: int = 200, **overrides) -> HttpResponse:
    plan = (
        ManagementPlan.objects.select_related("enterprise__park", "submitted_by", "reviewed_by")
        .prefetch_related(
            Prefetch("lines", queryset=ManagementPlanLine.objects.select_related("waste_code")),
            Prefetch("events", queryset=ManagementPlanEvent.objects.select_related("actor")),
        )
        .get(pk=plan.pk)
    )
    scope = scope_of(request.user)
    can_file = not scope.read_only and bool(scope.roles_on(plan.enterprise_id) & FILING_ROLES)
    initial = [
        {"waste_code": line.waste_code.code, **{f"{name}_t": getattr(line, f"{name}_t") for name in PLAN_FIGURES}}
        for line in plan.lines.all()
    ]
    context = {
        "plan": plan,
        "figures": [f"{name}_t" for name in PLAN_FIGURES],
        "can_file": can_file and plan.is_editable,
        "can_review": scope.supervises_park(plan.enterprise.park) and plan.status == "submitted",
        "lines_form": PlanLineFormSet(initial=initial, prefix="lines"),
        "submit_form": CommentForm(),
        "accept_form": CommentForm(),
        "return_form": ReturnForm(),
        **overrides,
    }
    return render(request, "reporting/plan_detail.html", context, status=status)


@login_required
def plan_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    plan = _visible(request, pk)
    if request.method != "POST":
        return _render(request, plan)
    formset = PlanLineFormSet(request.POST, prefix="lines")
    if not formset.is_valid():
        return _render(request, plan, status=400, lines_form=formset)
    lines = [
        services.PlanLineInput(
            waste_code=row["waste_code"],
            figures={name: row[f"{name}_t"] for name in PLAN_FIGURES if row.get(f"{name}_t") is not None},
        )
        for row in formset.cleaned_data
        if row.get("waste_code")
    ]
    try:
        services.replace_plan_lines(plan=plan, actor=request.user, lines=lines)
    except DomainError as error:
        return refused(request, error, partial(_render, request, plan), lines_form=formset)
    messages.success(request, _("The plan's lines are saved."))
    return redirect("reporting:plan_detail", pk=pk)


def _step(request: SignedInRequest, pk: int, *, form_class, form_name: str, run, done: str) -> HttpResponse:
    plan = _visible(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _render(request, plan, status=400, **{form_name: form})
    try:
        run(plan=plan, comment=form.cleaned_data["comment"])
    except DomainError as error:
        return refused(request, error, partial(_render, request, plan), **{form_name: form})
    messages.success(request, done)
    return redirect("reporting:plan_detail", pk=pk)


@login_required
@require_POST
def plan_submit(request: SignedInRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        form_class=CommentForm,
        form_name="submit_form",
        run=partial(services.submit_management_plan, actor=request.user),
        done=_("The plan is submitted to the park."),
    )


@login_required
@require_POST
def plan_accept(request: SignedInRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        form_class=CommentForm,
        form_name="accept_form",
        run=partial(services.accept_management_plan, officer=request.user),
        done=_("The plan is accepted."),
    )


@login_required
@require_POST
def plan_return(request: SignedInRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        form_class=ReturnForm,
        form_name="return_form",
        run=partial(services.return_management_plan, officer=request.user),
        done=_("The plan is returned to the enterprise with your comment."),
    )


urlpatterns = [
    path("plans/", plan_list, name="plan_list"),
    path("plans/start/", plan_start, name="plan_start"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/submit/", plan_submit, name="plan_submit"),
    path("plans/<int:pk>/accept/", plan_accept, name="plan_accept"),
    path("plans/<int:pk>/return/", plan_return, name="plan_return"),
]
