"""Registry pages: the enterprise register, registration applications and officers' decisions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wasteparks.errors import DomainError

from . import services
from .forms import DecisionForm, EnterpriseApplicationForm, FacilityFormSet
from .models import Enterprise, EnterpriseStatus
from .tenancy import scope_of

PAGE_SIZE = 50

DECISIONS = {
    "verify": services.verify_enterprise,
    "reject": services.reject_enterprise,
    "suspend": services.suspend_enterprise,
    "reinstate": services.reinstate_enterprise,
    "close": services.close_enterprise,
}


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    enterprises = Enterprise.objects.visible_to(request.user).select_related("park")
    query = request.GET.get("q", "").strip()
    if query:
        enterprises = enterprises.filter(Q(name__icontains=query) | Q(credit_code__icontains=query))
    status = request.GET.get("status", "")
    if status in EnterpriseStatus.values:
        enterprises = enterprises.filter(status=status)
    page = Paginator(enterprises.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/enterprise_list.html",
        {"page": page, "query": query, "status": status, "statuses": EnterpriseStatus.choices},
    )


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user).select_related("park__division"), pk=pk)
    history = enterprise.history.select_related("history_user").order_by("-history_date")[:50]
    return render(
        request,
        "registry/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "facilities": enterprise.facilities.order_by("name"),
            "permits": enterprise.permits.prefetch_related("lines__waste_code", "lines__category", "lines__method"),
            "history": history,
            "can_decide": scope_of(request.user).supervises_park(enterprise.park),
            "decision_form": DecisionForm(),
        },
    )


@login_required
def enterprise_apply(request: HttpRequest) -> HttpResponse:
    form = EnterpriseApplicationForm(request.POST or None)
    facilities = FacilityFormSet(request.POST or None, prefix="facility")
    if request.method == "POST" and form.is_valid() and facilities.is_valid():
        data = form.cleaned_data
        facility_inputs = [
            services.FacilityInput(name=item["name"], kind=item["kind"], capacity_t=item["capacity_t"])
            for item in facilities.cleaned_data
            if item
        ]
        try:
            enterprise = services.apply_for_registration(
                applicant=request.user,
                park=data["park"],
                credit_code=data["credit_code"],
                name=data["name"],
                industry_code=data["industry_code"],
                address=data["address"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                contact_email=data["contact_email"],
                is_generator=data["is_generator"],
                is_carrier=data["is_carrier"],
                is_receiver=data["is_receiver"],
                facilities=facility_inputs,
            )
        except ValidationError as error:
            # A facility the formset accepted can still fail together with the enterprise (e.g. two
            # facilities of the same name); nothing was saved, so show it on the form.
            form.add_error(None, error)
        else:
            messages.success(request, _("Registration submitted. The park's officers will verify it."))
            return redirect("registry:enterprise_detail", pk=enterprise.pk)
    return render(request, "registry/enterprise_apply.html", {"form": form, "facilities": facilities})


@login_required
@require_POST
def enterprise_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    if action not in DECISIONS:
        return HttpResponse(status=404)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long."))
        return redirect("registry:enterprise_detail", pk=pk)
    note = form.cleaned_data["reason"]
    try:
        with transaction.atomic():
            decide = DECISIONS[action]
            if action in services.REASON_REQUIRED:
                decide(enterprise=enterprise, officer=request.user, reason=note)
            else:
                decide(enterprise=enterprise, officer=request.user, note=note)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("registry:enterprise_detail", pk=pk)
    messages.success(request, _("Done."))
    return redirect("registry:enterprise_detail", pk=pk)
