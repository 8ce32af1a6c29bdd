"""The ledger and stock pages: entries with their filters and export, the enterprise's own entry form, the
move between its own stores, the reversal of a wrong entry, and stock on hand with the age of its oldest
tonne."""

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from wasteparks.db_router import reads_from_replica
from wasteparks.errors import DomainError
from wasteparks.forms import BootstrapFormMixin
from wasteparks.lists import export_if_asked, lazily, page_of, sort_by_request
from wasteparks.pages import SignedInRequest

from .. import forms, services
from ..models import LedgerEntry, Party, StockBalance
from ..services.ledger import REASON_MAX_LENGTH, move_stock, reverse_ledger_entry
from .common import field_errors, form_page

LEDGER_SORTS = {
    "occurred_at": ["occurred_at"],
    "enterprise": ["enterprise__name"],
    "stage": ["stage"],
    "code": ["waste_code__code"],
    "quantity": ["quantity_t"],
}


@login_required
@reads_from_replica
def ledger_list(request: SignedInRequest) -> HttpResponse:
    form = forms.LedgerFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    entries = LedgerEntry.objects.visible_to(request.user).select_related(
        "enterprise", "facility", "waste_code", "method", "recorded_by", "manifest_line__manifest"
    )
    if query := data.get("q", "").strip():
        entries = entries.filter(
            Q(enterprise__name__icontains=query) | Q(batch_code__icontains=query) | Q(note__icontains=query)
        )
    if stage := data.get("stage"):
        entries = entries.filter(stage=stage)
    if code := data.get("code", "").strip():
        entries = entries.filter(waste_code__code__startswith=code)
    if start := data.get("occurred_from"):
        entries = entries.filter(occurred_at__date__gte=start)
    if end := data.get("occurred_to"):
        entries = entries.filter(occurred_at__date__lte=end)
    entries, sort = sort_by_request(entries, request, LEDGER_SORTS, "-occurred_at")
    exported = export_if_asked(
        request,
        "ledger",
        _("Ledger"),
        [
            _("Occurred at"),
            _("Enterprise"),
            _("Facility"),
            _("Stage"),
            _("Waste code"),
            _("Quantity (t)"),
            _("Method"),
            _("Batch code"),
            _("Manifest"),
            _("Note"),
            _("Recorded by"),
        ],
        (
            [
                entry.occurred_at,
                entry.enterprise.name,
                entry.facility.name,
                entry.get_stage_display(),
                entry.waste_code.code,
                entry.quantity_t,
                entry.method.code if entry.method else "",
                entry.batch_code,
                entry.manifest_line.manifest.number if entry.manifest_line else "",
                entry.note,
                entry.recorded_by.get_full_name(),
            ]
            for entry in lazily(entries)
        ),
    )
    if exported:
        return exported
    return render(
        request,
        "transfers/ledger_list.html",
        {
            "form": form,
            "page": page_of(request, entries),
            "sort": sort,
            "can_record": forms.signing_enterprises(request.user, Party.CONSIGNOR).exists(),
        },
    )


@login_required
def ledger_new(request: SignedInRequest) -> HttpResponse:
    form = forms.LedgerEntryForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_ledger_entry(
                    actor=request.user,
                    enterprise=data["enterprise"],
                    facility=data["facility"],
                    waste_code=data["waste_code"],
                    stage=data["stage"],
                    quantity_t=data["quantity_t"],
                    occurred_at=data["occurred_at"],
                    batch_code=data["batch_code"],
                    method=data["method"],
                    note=data["note"],
                )
            except DomainError as error:
                field_errors(form, error)
                status = error.http_status
            else:
                messages.success(request, _("Ledger entry recorded."))
                return redirect("transfers:ledger_list")
        else:
            status = 400
    return form_page(request, "transfers/ledger_form.html", {"form": form}, status)


@login_required
def ledger_move(request: SignedInRequest) -> HttpResponse:
    """Move waste between two of the enterprise's own stores: one action, both legs recorded together."""
    form = forms.StockMoveForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                move_stock(
                    actor=request.user,
                    enterprise=data["enterprise"],
                    from_facility=data["from_facility"],
                    to_facility=data["to_facility"],
                    waste_code=data["waste_code"],
                    quantity_t=data["quantity_t"],
                    occurred_at=data["occurred_at"],
                    reason=data["reason"],
                )
            except DomainError as error:
                field_errors(form, error)
                status = error.http_status
            else:
                messages.success(
                    request,
                    _("%(quantity)s t of %(code)s moved from %(source)s into %(target)s.")
                    % {
                        "quantity": data["quantity_t"],
                        "code": data["waste_code"].code,
                        "source": data["from_facility"].name,
                        "target": data["to_facility"].name,
                    },
                )
                return redirect("transfers:stock_list")
        else:
            status = 400
    return form_page(request, "transfers/ledger_move.html", {"form": form}, status)


class ReversalForm(BootstrapFormMixin, django_forms.Form):
    """Why a ledger entry is reversed; the one field of the reversal page."""

    reason = django_forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=django_forms.Textarea(attrs={"rows": 3})
    )


@login_required
def ledger_reverse(request: SignedInRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(
        LedgerEntry.objects.visible_to(request.user).select_related("enterprise", "facility", "waste_code"), pk=pk
    )
    form = ReversalForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reverse_ledger_entry(entry=entry, actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as error:
                field_errors(form, error)
                status = error.http_status
            else:
                messages.success(request, _("Ledger entry reversed."))
                return redirect("transfers:ledger_list")
        else:
            status = 400
    return render(request, "transfers/ledger_reverse.html", {"form": form, "entry": entry}, status=status)


STOCK_SORTS = {
    "enterprise": ["enterprise__name", "facility__name"],
    "code": ["waste_code__code"],
    "quantity": ["quantity_t"],
    "oldest": ["oldest_on_hand_at"],
}


@login_required
@reads_from_replica
def stock_list(request: SignedInRequest) -> HttpResponse:
    form = forms.StockFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    balances = (
        StockBalance.objects.visible_to(request.user)
        .select_related("enterprise", "facility", "waste_code")
        .with_oldest_on_hand()
    )
    if not data.get("include_empty"):
        balances = balances.on_hand()
    if query := data.get("q", "").strip():
        balances = balances.filter(Q(enterprise__name__icontains=query) | Q(facility__name__icontains=query))
    if code := data.get("code", "").strip():
        balances = balances.filter(waste_code__code__startswith=code)
    if waste_class := data.get("waste_class"):
        balances = balances.filter(waste_code__waste_class=waste_class)
    balances, sort = sort_by_request(balances, request, STOCK_SORTS, "oldest")
    now = timezone.now()

    def age_days(balance) -> int | None:
        oldest = balance.oldest_on_hand_at
        return None if oldest is None else (now - oldest).days

    exported = export_if_asked(
        request,
        "stock",
        _("Stock"),
        [
            _("Enterprise"),
            _("Facility"),
            _("Waste code"),
            _("Waste class"),
            _("On hand (t)"),
            _("Oldest tonne since"),
            _("Age (days)"),
        ],
        (
            [
                balance.enterprise.name,
                balance.facility.name,
                balance.waste_code.code,
                balance.waste_code.get_waste_class_display(),
                balance.quantity_t,
                balance.oldest_on_hand_at,
                age_days(balance),
            ]
            for balance in lazily(balances)
        ),
    )
    if exported:
        return exported
    page = page_of(request, balances)
    for balance in page:
        balance.age_days = age_days(balance)
    can_move = forms.signing_enterprises(request.user, Party.CONSIGNOR).exists()
    return render(
        request, "transfers/stock_list.html", {"form": form, "page": page, "sort": sort, "can_move": can_move}
    )
