"""Registry pages: the enterprise register, registration applications, officers' decisions and an
applicant's resubmission, and the permits list.

The enterprise page itself shows what transfers and reporting hold about the enterprise too, so it is
composed in reporting (reporting/views/enterprises.py: `reporting:enterprise_detail`); the decisions
and the resubmission taken on it are posted here.
"""

from collections.abc import Callable
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wasteparks.db_router import reads_from_replica
from wasteparks.errors import DomainError
from wasteparks.lists import export_if_asked, lazily, page_of, sort_by_request
from wasteparks.pages import SignedInRequest

from . import classes, services
from .forms import ClassOverrideForm, DecisionForm, EnterpriseApplicationForm, FacilityFormSet, PermitFilterForm
from .models import Enterprise, EnterpriseStatus, Permit
from .rules import ENTERPRISE_FLOW, EnterpriseAction, LicenceStatus
from .tenancy import scope_of

ENTERPRISE_PAGE = "reporting:enterprise_detail"
EXPIRING_DAYS = 30


def _roles(enterprise: Enterprise) -> str:
    names = [
        (enterprise.is_generator, _("generator")),
        (enterprise.is_carrier, _("carrier")),
        (enterprise.is_receiver, _("receiver")),
    ]
    return " ".join(str(label) for flag, label in names if flag)


# The officers' decisions, each a service; ENTERPRISE_FLOW says which status allows which.
DECISIONS: dict[str, Callable[..., Enterprise]] = {
    EnterpriseAction.VERIFY: services.verify_enterprise,
    EnterpriseAction.REJECT: services.reject_enterprise,
    EnterpriseAction.SUSPEND: services.suspend_enterprise,
    EnterpriseAction.REINSTATE: services.reinstate_enterprise,
    EnterpriseAction.CLOSE: services.close_enterprise,
}


@login_required
@reads_from_replica
def enterprise_list(request: SignedInRequest) -> HttpResponse:
    enterprises = Enterprise.objects.visible_to(request.user).select_related("park")
    query = request.GET.get("q", "").strip()
    if query:
        enterprises = enterprises.filter(Q(name__icontains=query) | Q(credit_code__icontains=query))
    status = request.GET.get("status", "")
    if status in EnterpriseStatus.values:
        enterprises = enterprises.filter(status=status)
    enterprises = enterprises.order_by("name", "pk")
    exported = export_if_asked(
        request,
        "enterprises",
        _("Enterprises"),
        [
            _("Name"),
            _("Unified social credit code"),
            _("Park"),
            _("Industry (GB/T 4754)"),
            _("Roles"),
            _("Management class"),
            _("Status"),
            _("Contact"),
            _("Phone"),
            _("Address"),
        ],
        (
            [
                enterprise.name,
                enterprise.credit_code,
                enterprise.park.name,
                enterprise.industry_code,
                _roles(enterprise),
                enterprise.get_management_class_display(),
                enterprise.get_status_display(),
                enterprise.contact_name,
                enterprise.contact_phone,
                enterprise.address,
            ]
            for enterprise in lazily(enterprises)
        ),
    )
    if exported:
        return exported
    page = page_of(request, enterprises)
    return render(
        request,
        "registry/enterprise_list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "statuses": EnterpriseStatus.choices,
            # Registering another enterprise is rare for staff: offered here, not in their daily menu.
            "may_register": not scope_of(request.user).is_officer,
        },
    )


@login_required
def enterprise_moved(request: SignedInRequest, pk: int) -> HttpResponse:
    """The enterprise page's old address: links and bookmarks to it follow to the page in reporting."""
    # Only for someone who may see the enterprise: to anyone else it does not exist (404, as the page).
    get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    return redirect(ENTERPRISE_PAGE, pk=pk, permanent=True)


@login_required
def enterprise_apply(request: SignedInRequest) -> HttpResponse:
    form = EnterpriseApplicationForm(request.POST or None)
    facilities = FacilityFormSet(request.POST or None, prefix="facility")
    if request.method == "POST" and form.is_valid() and facilities.is_valid():
        data = form.cleaned_data
        facility_inputs = [
            services.FacilityInput(
                name=item["name"], kind=item["kind"], capacity_t=item["capacity_t"], cold_store=item["cold_store"]
            )
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
            return redirect(ENTERPRISE_PAGE, pk=enterprise.pk)
    return render(request, "registry/enterprise_apply.html", {"form": form, "facilities": facilities})


@login_required
@require_POST
def enterprise_decide(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    if action not in DECISIONS:
        return HttpResponse(status=404)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long."))
        return redirect(ENTERPRISE_PAGE, pk=pk)
    note = form.cleaned_data["reason"]
    try:
        with transaction.atomic():
            decide = DECISIONS[action]
            if ENTERPRISE_FLOW[action].reason_required:
                decide(enterprise=enterprise, officer=request.user, reason=note)
            else:
                decide(enterprise=enterprise, officer=request.user, note=note)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(ENTERPRISE_PAGE, pk=pk)
    messages.success(request, _("Done."))
    return redirect(ENTERPRISE_PAGE, pk=pk)


@login_required
@require_POST
def enterprise_resubmit(request: SignedInRequest, pk: int) -> HttpResponse:
    """A rejected applicant's administrator asks the park's officers to verify the registration again.

    Posted from the enterprise page; as with the officers' decisions, a refusal (not an administrator:
    403, not rejected: 409) is shown there as a message and nothing is saved."""
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long."))
        return redirect(ENTERPRISE_PAGE, pk=pk)
    try:
        services.resubmit_registration(enterprise=enterprise, actor=request.user, note=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(ENTERPRISE_PAGE, pk=pk)
    messages.success(request, _("Registration resubmitted. The park's officers will verify it again."))
    return redirect(ENTERPRISE_PAGE, pk=pk)


# --- management class ------------------------------------------------------------------------------


@login_required
def enterprise_class(request: SignedInRequest, pk: int) -> HttpResponse:
    """The enterprise's HJ 1259-2022 class and its history; its park's officers set another class with a
    reason, or lift theirs (registry/classes.py). Anyone who may see the enterprise reads the page."""
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user).select_related("park"), pk=pk)
    can_set = scope_of(request.user).supervises_park(enterprise.park)
    form = ClassOverrideForm(request.POST or None, initial={"management_class": enterprise.management_class})
    if request.method == "POST":
        if not can_set:
            return HttpResponse(status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["lift"]:
                    classes.lift_class_override(enterprise=enterprise, officer=request.user, reason=data["reason"])
                else:
                    classes.override_management_class(
                        enterprise=enterprise,
                        officer=request.user,
                        management_class=data["management_class"],
                        reason=data["reason"],
                    )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The management class was recorded."))
                return redirect("registry:enterprise_class", pk=pk)
    history = enterprise.class_changes.select_related("actor").order_by("-at", "-id")
    return render(
        request,
        "registry/enterprise_class.html",
        {"enterprise": enterprise, "form": form, "can_set": can_set, "history": history},
        status=400 if request.method == "POST" else 200,
    )


# --- permits --------------------------------------------------------------------------------------

PERMIT_SORTS = {
    "number": ["number"],
    "kind": ["kind"],
    "enterprise": ["enterprise__name"],
    "valid_from": ["valid_from"],
    "valid_to": ["valid_to"],
}


def _filtered_permits(request: SignedInRequest, form: PermitFilterForm, today: date):
    permits = Permit.objects.visible_to(request.user).select_related("enterprise__park")
    form.is_valid()
    data = form.cleaned_data
    if query := data.get("q", "").strip():
        permits = permits.filter(
            Q(number__icontains=query) | Q(enterprise__name__icontains=query) | Q(issuer__icontains=query)
        )
    if kind := data.get("kind"):
        permits = permits.filter(kind=kind)
    if enterprise := data.get("enterprise"):
        permits = permits.filter(enterprise=enterprise)
    validity = data.get("validity")
    if validity == "valid":
        permits = permits.valid_on(today)
    elif validity == "expiring":
        permits = permits.expiring_within(today, EXPIRING_DAYS)
    elif validity == "expired":
        permits = permits.filter(Q(valid_to__lt=today) | Q(revoked_at__isnull=False))
    elif validity == "awaiting":
        permits = permits.awaiting_decision()
    if code := data.get("code", "").strip():
        permits = permits.filter(
            Q(lines__waste_code__code__startswith=code) | Q(lines__category__code__iexact=code)
        ).distinct()
    return permits.prefetch_related("lines__waste_code", "lines__category", "lines__method")


def _permit_state(permit: Permit, today: date) -> str:
    if permit.status != LicenceStatus.VALID:  # applied, pending verification, refused, suspended, revoked
        return permit.status
    if permit.revoked_at is not None:
        return "revoked"
    if permit.valid_to < today:
        return "expired"
    if permit.valid_from > today:
        return "not_yet"
    if permit.valid_to <= today + timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


@login_required
def permit_list(request: SignedInRequest) -> HttpResponse:
    today = timezone.localdate()
    form = PermitFilterForm(request.GET, user=request.user)
    permits, sort = sort_by_request(_filtered_permits(request, form, today), request, PERMIT_SORTS, "valid_to")
    states = {**dict(LicenceStatus.choices), **dict(PermitFilterForm.STATE_LABELS)}
    exported = export_if_asked(
        request,
        "permits",
        _("Permits"),
        [
            _("Number"),
            _("Kind"),
            _("Enterprise"),
            _("Park"),
            _("Issued by"),
            _("Valid from"),
            _("Valid to"),
            _("State"),
            _("Covers"),
        ],
        (
            [
                permit.number,
                permit.get_kind_display(),
                permit.enterprise.name,
                permit.enterprise.park.name,
                permit.issuer,
                permit.valid_from,
                permit.valid_to,
                states[_permit_state(permit, today)],
                "; ".join(str(line) for line in permit.lines.all()),
            ]
            for permit in lazily(permits)
        ),
    )
    if exported:
        return exported
    page = page_of(request, permits)
    for permit in page:
        permit.state = _permit_state(permit, today)
        permit.state_label = states[permit.state]
    return render(request, "registry/permit_list.html", {"form": form, "page": page, "sort": sort})
