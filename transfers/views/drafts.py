"""Preparing a manifest: the consignor's form for a new draft and for editing it, with its lines."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from registry.models import WasteClass
from wasteparks.errors import DomainError
from wasteparks.pages import SignedInRequest
from wasteparks.parsing import ascii_whole_number, catalogue_code

from .. import forms, rules, services
from ..models import ManifestStatus, Purpose
from .common import field_errors, form_page, visible_manifest


def _line_formset(request: SignedInRequest, initial=None):
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and "add_line" in data:
        # "Add a line" re-renders the form with one more empty line; nothing is saved.
        total = ascii_whole_number(data.get("line-TOTAL_FORMS")) or 1
        data["line-TOTAL_FORMS"] = str(min(total + 1, rules.MAX_LINES_PER_MANIFEST))
    return forms.ManifestLineFormSet(
        data, initial=initial, prefix="line", form_kwargs={"facilities": forms.consignor_facilities(request.user)}
    )


def _line_inputs(formset) -> list[services.LineInput]:
    return [
        services.LineInput(
            waste_code=item["waste_code"],
            source_facility=item["source_facility"],
            declared_quantity_t=item["declared_quantity_t"],
            packaging_type=item["packaging_type"],
            packaging_count=item["packaging_count"],
            physical_form=item["physical_form"],
            batch_code=item.get("batch_code", ""),
        )
        for item in formset.cleaned_data
        if item and not item.get("DELETE")
    ]


def _prefill(request: SignedInRequest) -> tuple[dict, list[dict] | None]:
    """The first values a link may give the new-manifest form (a match on the exchange: ?consignor=
    &receiver=&purpose=&waste_class=&planned_date=&waste_code=&quantity=). Values only: choices outside the
    user's own are simply not selected, and whatever is posted is checked as always."""
    query = request.GET
    parties = {name: ascii_whole_number(query.get(name)) for name in ("consignor", "receiver")}
    initial: dict = {name: number for name, number in parties.items() if number is not None}
    initial |= {
        name: query[name]
        for name, allowed in (("purpose", Purpose.values), ("waste_class", WasteClass.values))
        if query.get(name) in allowed
    }
    try:
        planned = parse_date(query.get("planned_date", "")[:10])
    except ValueError:
        planned = None
    if planned is not None:
        initial["planned_date"] = planned
    code = catalogue_code(query.get("waste_code", ""))[:20]
    if not code:
        return initial, None
    return initial, [{"waste_code": code, "declared_quantity_t": query.get("quantity", "")[:20]}]


@login_required
def manifest_new(request: SignedInRequest) -> HttpResponse:
    initial, line_initial = _prefill(request) if request.method == "GET" else ({}, None)
    form = forms.ManifestForm(request.POST or None, user=request.user, initial=initial)
    formset = _line_formset(request, initial=line_initial)
    if line_initial:
        formset.extra = 0  # the prefilled line is the one to fill in; "Add a line" adds more
    status = 200
    if request.method == "POST" and "add_line" not in request.POST:
        if (
            form.is_valid()
            and formset.is_valid()
            and form.receiver_is_legal_for(consignor=form.cleaned_data["consignor"], lines=_line_inputs(formset))
        ):
            data = form.cleaned_data
            try:
                manifest = services.create_manifest(
                    actor=request.user,
                    consignor=data["consignor"],
                    carrier=data["carrier"],
                    receiver=data["receiver"],
                    waste_class=data["waste_class"],
                    purpose=data["purpose"],
                    planned_date=data["planned_date"],
                    vehicle_plate=data["vehicle_plate"],
                    emergency_measures=data["emergency_measures"],
                    approval=data["approval"],
                    lines=_line_inputs(formset),
                )
            except DomainError as error:
                field_errors(form, error)
                status = error.http_status
            else:
                messages.success(request, _("Draft saved. Check it, then sign to submit."))
                return redirect("transfers:manifest_detail", pk=manifest.pk)
        else:
            status = 400
    return form_page(request, "transfers/manifest_form.html", {"form": form, "formset": formset}, status)


@login_required
def manifest_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    manifest = visible_manifest(request, pk)
    if manifest.status != ManifestStatus.DRAFT:
        messages.error(request, _("Only a draft can be edited; propose a revision instead."))
        return redirect("transfers:manifest_detail", pk=pk)
    fields = ("waste_class", "purpose", "planned_date", "vehicle_plate", "emergency_measures")
    initial = {name: getattr(manifest, name) for name in fields} | {
        "carrier": manifest.carrier_id,
        "receiver": manifest.receiver_id,
        "approval": manifest.approval_id,
    }
    line_initial = [
        {
            "waste_code": line.waste_code.code,
            "source_facility": line.source_facility_id,
            "declared_quantity_t": line.declared_quantity_t,
            "packaging_type": line.packaging_type,
            "packaging_count": line.packaging_count,
            "physical_form": line.physical_form,
            "batch_code": line.batch_code,
        }
        for line in manifest.lines.select_related("waste_code").order_by("line_no")
    ]
    form = forms.ManifestForm(request.POST or None, initial=initial, user=request.user, editing=True)
    formset = _line_formset(request, initial=line_initial)
    status = 200
    if request.method == "POST" and "add_line" not in request.POST:
        if (
            form.is_valid()
            and formset.is_valid()
            and form.receiver_is_legal_for(consignor=manifest.consignor, lines=_line_inputs(formset))
        ):
            try:
                services.update_draft(
                    manifest=manifest, actor=request.user, changes=dict(form.cleaned_data), lines=_line_inputs(formset)
                )
            except DomainError as error:
                field_errors(form, error)
                status = error.http_status
            else:
                messages.success(request, _("Draft saved."))
                return redirect("transfers:manifest_detail", pk=pk)
        else:
            status = 400
    return form_page(
        request, "transfers/manifest_form.html", {"form": form, "formset": formset, "manifest": manifest}, status
    )
