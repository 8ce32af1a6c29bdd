"""Manifest signatures and revisions from the web: the one-button signatures (submit, cancel, reject),
the pickup (also the driver's phone page), the receipt, the treatment, and revision requests and
decisions. Forms validate; the services decide, and a refusal is shown on the page it came from."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.models import Enterprise, Facility
from registry.tenancy import scope_of
from wasteparks.errors import DomainError
from wasteparks.pages import SignedInRequest, refused

from .. import forms, rules, services
from ..models import Manifest, ManifestAction, ManifestLine, ManifestStatus, RevisionDecision
from .common import field_errors, safe_next, visible_manifest
from .manifests import render_detail

# Keyed by str: the action comes from the URL as a plain string.
SIGN_FORMS: dict[str, tuple[type[Form], str]] = {
    ManifestAction.SUBMIT: (forms.CommentForm, "comment_form"),
    ManifestAction.CANCEL: (forms.ReasonForm, "reason_form"),
    ManifestAction.REJECT: (forms.RequiredReasonForm, "reject_form"),
}


@login_required
@require_POST
def manifest_sign(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    """The one-button signatures: submit, cancel and reject (the last two with a reason)."""
    manifest = visible_manifest(request, pk)
    if action not in SIGN_FORMS:
        raise Http404
    form_class, context_name = SIGN_FORMS[action]
    form = form_class(request.POST)
    # The page shown again after a refusal keeps what was typed, with the form open.
    kept = {context_name: form, "open_form": action}
    if not form.is_valid():
        return render_detail(request, manifest, status=400, **kept)
    data = form.cleaned_data
    try:
        if action == ManifestAction.SUBMIT:
            services.submit_manifest(manifest=manifest, actor=request.user, comment=data["comment"])
            messages.success(request, _("The manifest is signed and submitted."))
        elif action == ManifestAction.CANCEL:
            services.cancel_manifest(manifest=manifest, actor=request.user, reason=data["reason"])
            messages.success(request, _("The manifest is cancelled."))
        else:
            services.reject_manifest(manifest=manifest, actor=request.user, reason=data["reason"])
            messages.success(request, _("The load is rejected and booked back to the consignor."))
    except DomainError as error:
        return refused(request, error, partial(render_detail, request, manifest), **kept)
    return redirect("transfers:manifest_detail", pk=pk)


@login_required
def manifest_pickup(request: SignedInRequest, pk: int) -> HttpResponse:
    """The carrier signs for the load: the plate, and the driver when an administrator signs."""
    manifest = visible_manifest(request, pk)
    form = forms.PickupForm(request.POST or None, manifest=manifest, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.pickup_manifest(
                    manifest=manifest,
                    actor=request.user,
                    vehicle_plate=form.cleaned_data["vehicle_plate"],
                    driver=form.cleaned_data.get("driver") or None,
                )
            except DomainError as error:
                field_errors(form, error)
                status = error.http_status
            else:
                messages.success(
                    request, _("Pickup signed for manifest %(number)s.") % {"number": manifest.number or manifest.pk}
                )
                return redirect(safe_next(request, reverse("transfers:manifest_detail", args=[pk])))
        else:
            status = 400
    lines = list(manifest.lines.select_related("waste_code").order_by("line_no"))
    return render(
        request, "transfers/manifest_pickup.html", {"manifest": manifest, "lines": lines, "form": form}, status=status
    )


@login_required
def pickup_list(request: SignedInRequest) -> HttpResponse:
    """The driver's phone page: manifests of its carriers that wait for pickup."""
    carrier_ids = rules.pickup_enterprise_ids(scope_of(request.user))
    carriers = Enterprise.objects.filter(pk__in=carrier_ids)
    manifests = (
        Manifest.objects.visible_to(request.user)
        .filter(status=ManifestStatus.SUBMITTED, carrier__in=carriers)
        .select_related("consignor", "receiver", "carrier")
        .prefetch_related(Prefetch("lines", queryset=ManifestLine.objects.select_related("waste_code")))
        .order_by("planned_date", "pk")
    )
    items = [(manifest, forms.PickupForm(manifest=manifest, user=request.user)) for manifest in manifests[:100]]
    return render(request, "transfers/pickup_list.html", {"items": items, "has_carrier": bool(carrier_ids)})


@login_required
def manifest_receive(request: SignedInRequest, pk: int) -> HttpResponse:
    manifest = visible_manifest(request, pk)
    lines = list(manifest.lines.select_related("waste_code").order_by("line_no"))
    facilities = Facility.objects.filter(enterprise_id=manifest.receiver_id, active=True)
    first = facilities.first()
    initial = [
        {
            "line_no": line.line_no,
            "received_quantity_t": line.declared_quantity_t,
            "acceptance": "accepted",
            "facility": first.pk if first else None,
        }
        for line in lines
    ]
    formset = forms.ReceiptFormSet(
        request.POST or None, initial=initial, prefix="line", form_kwargs={"facilities": facilities}
    )
    comment_form = forms.CommentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if formset.is_valid() and comment_form.is_valid():
            receipts = [
                services.ReceiptInput(
                    line_no=item["line_no"],
                    received_quantity_t=item["received_quantity_t"],
                    facility=item["facility"],
                    acceptance=item["acceptance"],
                    accepted_quantity_t=item.get("accepted_quantity_t"),
                    rejection_reason=item.get("rejection_reason", ""),
                )
                for item in formset.cleaned_data
            ]
            try:
                services.receive_manifest(
                    manifest=manifest, actor=request.user, lines=receipts, comment=comment_form.cleaned_data["comment"]
                )
            except DomainError as error:
                comment_form.add_error(None, error.message)
                status = error.http_status
            else:
                messages.success(request, _("Receipt signed."))
                return redirect("transfers:manifest_detail", pk=pk)
        else:
            status = 400
    return render(
        request,
        "transfers/manifest_receive.html",
        {
            "manifest": manifest,
            "rows": list(zip(lines, formset.forms, strict=False)),
            "formset": formset,
            "comment_form": comment_form,
        },
        status=status,
    )


@login_required
def manifest_treat(request: SignedInRequest, pk: int) -> HttpResponse:
    manifest = visible_manifest(request, pk)
    lines = [
        line
        for line in manifest.lines.select_related("waste_code").order_by("line_no")
        if (line.accepted_quantity_t or 0) > 0
    ]
    initial = [{"line_no": line.line_no, "quantity_t": line.accepted_quantity_t} for line in lines]
    formset = forms.TreatmentFormSet(
        request.POST or None,
        initial=initial,
        prefix="line",
        form_kwargs={"method_kinds": rules.PURPOSE_METHOD_KINDS[manifest.purpose]},
    )
    comment_form = forms.CommentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if formset.is_valid() and comment_form.is_valid():
            treatments = [
                services.TreatmentInput(line_no=item["line_no"], method=item["method"], quantity_t=item["quantity_t"])
                for item in formset.cleaned_data
            ]
            try:
                services.treat_manifest(
                    manifest=manifest,
                    actor=request.user,
                    lines=treatments,
                    comment=comment_form.cleaned_data["comment"],
                )
            except DomainError as error:
                comment_form.add_error(None, error.message)
                status = error.http_status
            else:
                messages.success(request, _("Treatment recorded; the manifest is completed."))
                return redirect("transfers:manifest_detail", pk=pk)
        else:
            status = 400
    return render(
        request,
        "transfers/manifest_treat.html",
        {
            "manifest": manifest,
            "rows": list(zip(lines, formset.forms, strict=False)),
            "formset": formset,
            "comment_form": comment_form,
        },
        status=status,
    )


@login_required
@require_POST
def revision_propose(request: SignedInRequest, pk: int) -> HttpResponse:
    manifest = visible_manifest(request, pk)
    form = forms.RevisionForm(request.POST, line_numbers=list(manifest.lines.values_list("line_no", flat=True)))
    if not form.is_valid():
        return render_detail(request, manifest, status=400, revision_form=form, open_form="revise")
    try:
        services.propose_revision(
            manifest=manifest, actor=request.user, changes=form.changes(), reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        field_errors(form, error)
        return render_detail(request, manifest, status=error.http_status, revision_form=form, open_form="revise")
    messages.success(request, _("Revision proposed; the other parties are asked to approve it."))
    return redirect("transfers:manifest_detail", pk=pk)


@login_required
@require_POST
def revision_decide(request: SignedInRequest, pk: int, revision_pk: int, decision: str) -> HttpResponse:
    manifest = visible_manifest(request, pk)
    revision = get_object_or_404(manifest.revisions.all(), pk=revision_pk)
    if decision not in (RevisionDecision.APPROVE, RevisionDecision.REFUSE):
        raise Http404
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return render_detail(request, manifest, status=400, decision_form=form)
    try:
        services.decide_revision(
            revision=revision,
            actor=request.user,
            approve=decision == RevisionDecision.APPROVE,
            comment=form.cleaned_data["comment"],
        )
    except DomainError as error:
        return refused(request, error, partial(render_detail, request, manifest))
    messages.success(request, _("Decision recorded."))
    return redirect("transfers:manifest_detail", pk=pk)
