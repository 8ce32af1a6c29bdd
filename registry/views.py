"""Registry pages: the enterprise register, registration applications and officers' decisions, and the
permits list. The enterprise page also shows what the other apps hold about it (stock, manifests,
reports, warnings, inspections), for display only: those apps own the rules."""

from datetime import date, datetime, timedelta

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reporting.models import LIVE_STATUSES, MonthlyReport
from reporting.models import Warning as EarlyWarning
from transfers.models import Manifest, StockBalance
from wasteparks.errors import DomainError
from wasteparks.lists import export_if_asked, lazily, page_of, sort_by_request

from . import services
from .forms import DecisionForm, EnterpriseApplicationForm, FacilityFormSet, PermitFilterForm
from .models import Enterprise, EnterpriseStatus, Permit, WasteClass
from .tenancy import scope_of

# Hazardous waste may be stored one year at most (Solid Waste Law art. 81): a month ahead is the time to act.
STORAGE_WARNING_MONTHS = 11
RECENT_MANIFESTS = 10
RECENT_REPORTS = 12
EXPIRING_DAYS = 30


def _roles(enterprise: Enterprise) -> str:
    names = [
        (enterprise.is_generator, _("generator")),
        (enterprise.is_carrier, _("carrier")),
        (enterprise.is_receiver, _("receiver")),
    ]
    return " ".join(str(label) for flag, label in names if flag)


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
        {"page": page, "query": query, "status": status, "statuses": EnterpriseStatus.choices},
    )


def _months_before(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, 28)  # a day every month has; a few days' slack does not matter for a warning
    return moment.replace(year=year, month=month + 1, day=day)


def _stock_with_ages(enterprise: Enterprise) -> list[StockBalance]:
    """Stock on hand with the age of its oldest tonne (FIFO), oldest first; one query."""
    now = timezone.now()
    storage_limit = _months_before(now, STORAGE_WARNING_MONTHS)
    balances = list(
        StockBalance.objects.filter(enterprise=enterprise)
        .on_hand()
        .select_related("facility", "waste_code")
        .with_oldest_on_hand()
        .order_by(F("oldest_on_hand_at").asc(nulls_last=True), "pk")
    )
    for balance in balances:
        oldest = balance.oldest_on_hand_at
        balance.age_days = None if oldest is None else (now - oldest).days
        balance.too_old = (
            oldest is not None and balance.waste_code.waste_class == WasteClass.HAZARDOUS and oldest <= storage_limit
        )
    return balances


def _url_or_none(name: str, pk: int) -> str | None:
    # The reporting pages are built alongside this one; a page not there yet is simply not linked.
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _open_warnings(request: HttpRequest, enterprise: Enterprise) -> list[EarlyWarning]:
    warnings = list(
        EarlyWarning.objects.visible_to(request.user)
        .filter(enterprise=enterprise, status__in=LIVE_STATUSES)
        .order_by("-raised_at", "-pk")
    )
    for warning in warnings:
        warning.url = _url_or_none("reporting:warning_detail", warning.pk)
    return warnings


def recent_inspections_hook(request: HttpRequest, enterprise: Enterprise) -> list | None:
    """Inspections of the enterprise, once `reporting.Inspection` exists; None (section hidden) until then."""
    try:
        inspection_model = apps.get_model("reporting", "Inspection")
    except LookupError:
        return None
    inspections = inspection_model.objects.filter(enterprise=enterprise)
    if hasattr(inspections, "visible_to"):
        inspections = inspections.visible_to(request.user)
    inspections = list(inspections.order_by("-pk")[:10])
    for inspection in inspections:
        inspection.url = _url_or_none("reporting:inspection_detail", inspection.pk)
    return inspections


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user).select_related("park__division"), pk=pk)
    history = enterprise.history.select_related("history_user").order_by("-history_date")[:50]
    # Whoever may see the enterprise (fetched through visible_to above) may see every manifest naming it
    # (registry/tenancy.py): its officers and its own staff. Filtering by the user's jurisdiction again
    # would change no row, but PostgreSQL, taking the two conditions for independent, then misjudges a
    # receiver's thousands of manifests as a few hundred and reads the park's whole history (B5).
    manifests = (
        Manifest.objects.involving(enterprise.pk)
        .select_related("consignor", "carrier", "receiver")
        .order_by("-created_at", "-pk")[:RECENT_MANIFESTS]
    )
    reports = (
        MonthlyReport.objects.visible_to(request.user)
        .filter(enterprise=enterprise)
        .select_related("current_revision")
        .order_by("-year", "-month")[:RECENT_REPORTS]
    )
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
            "stock": _stock_with_ages(enterprise),
            "storage_warning_months": STORAGE_WARNING_MONTHS,
            "manifests": manifests,
            "reports": reports,
            "warnings": _open_warnings(request, enterprise),
            "inspections": recent_inspections_hook(request, enterprise),
            "today": timezone.localdate(),
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


# --- permits --------------------------------------------------------------------------------------

PERMIT_SORTS = {
    "number": ["number"],
    "kind": ["kind"],
    "enterprise": ["enterprise__name"],
    "valid_from": ["valid_from"],
    "valid_to": ["valid_to"],
}


def _filtered_permits(request: HttpRequest, form: PermitFilterForm, today: date):
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
    if code := data.get("code", "").strip():
        permits = permits.filter(
            Q(lines__waste_code__code__startswith=code) | Q(lines__category__code__iexact=code)
        ).distinct()
    return permits.prefetch_related("lines__waste_code", "lines__category", "lines__method")


def _permit_state(permit: Permit, today: date) -> str:
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
def permit_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = PermitFilterForm(request.GET, user=request.user)
    permits, sort = sort_by_request(_filtered_permits(request, form, today), request, PERMIT_SORTS, "valid_to")
    states = dict(PermitFilterForm.STATE_LABELS)
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
