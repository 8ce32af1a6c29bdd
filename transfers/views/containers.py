"""Labelled container pages: labelling a ledger entry, printing its labels, scanning a label on a phone, and
a container's history. The rules live in services.containers; these pages only ask and show."""

from decimal import Decimal, InvalidOperation
from typing import cast

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.models import Facility
from wasteparks.errors import DomainError
from wasteparks.forms import BootstrapFormMixin
from wasteparks.pages import SignedInRequest

from ..models import Container, LedgerEntry, Manifest, ManifestLine, PackagingType, PhysicalForm, ScanStep
from ..services.containers import label_containers, load_containers, scan_container
from .common import field_errors

# HJ 1276-2022 names five hazard characteristics; the catalogue writes them as these letters.
HAZARDS = {
    "T": gettext_lazy("Toxic"),
    "C": gettext_lazy("Corrosive"),
    "I": gettext_lazy("Ignitable"),
    "R": gettext_lazy("Reactive"),
    "In": gettext_lazy("Infectious"),
}


class LabelForm(BootstrapFormMixin, forms.Form):
    weights = forms.CharField(
        label=gettext_lazy("Weight of each container (t)"),
        help_text=gettext_lazy("One weight per container, separated by spaces or commas; they must sum to the entry."),
        max_length=2000,
    )
    packaging_type = forms.ChoiceField(label=gettext_lazy("Packaging"), choices=PackagingType.choices)
    physical_form = forms.ChoiceField(label=gettext_lazy("Physical form"), choices=PhysicalForm.choices)
    main_components = forms.CharField(label=gettext_lazy("Main components"), max_length=200, required=False)

    def clean_weights(self) -> list[Decimal]:
        parts = self.cleaned_data["weights"].replace(",", " ").replace("，", " ").split()
        try:
            weights = [Decimal(part) for part in parts]
        except InvalidOperation:
            raise forms.ValidationError(_("Give weights as numbers.")) from None
        if (
            not weights
            or len(weights) > 500
            or any(not w.is_finite() or w <= 0 or int(w.as_tuple().exponent) < -4 for w in weights)
        ):
            raise forms.ValidationError(_("Give 1 to 500 positive weights, to four decimal places at most."))
        return weights


class LineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.line_no} · {obj.waste_code.code}"


class LoadForm(BootstrapFormMixin, forms.Form):
    line = LineChoiceField(label=gettext_lazy("Line"), queryset=ManifestLine.objects.none())
    codes = forms.CharField(
        label=gettext_lazy("Container ids"),
        help_text=gettext_lazy("The ids on the labels, separated by spaces, commas or new lines."),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, manifest: Manifest, **kwargs):
        super().__init__(*args, **kwargs)
        line = cast(forms.ModelChoiceField, self.fields["line"])
        line.queryset = manifest.lines.select_related("waste_code").order_by("line_no")

    def clean_codes(self) -> list[str]:
        codes = self.cleaned_data["codes"].replace(",", " ").replace("，", " ").split()
        if not 1 <= len(codes) <= 500:
            raise forms.ValidationError(_("Give 1 to 500 container ids."))
        return codes


class ScanForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(label=gettext_lazy("Container id"), max_length=40)
    step = forms.ChoiceField(label=gettext_lazy("Step"), choices=ScanStep.choices)
    manifest = forms.ModelChoiceField(label=gettext_lazy("Manifest"), queryset=Manifest.objects.none(), required=False)
    facility = forms.ModelChoiceField(label=gettext_lazy("Facility"), queryset=Facility.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manifest"].queryset = Manifest.objects.visible_to(user).in_transit() | Manifest.objects.visible_to(
            user
        ).filter(status="submitted")
        self.fields["facility"].queryset = Facility.objects.visible_to(user)


@login_required
def container_label(request: SignedInRequest, pk: int) -> HttpResponse:
    """Label a ledger entry as containers, then print their labels."""
    entry = get_object_or_404(
        LedgerEntry.objects.visible_to(request.user).select_related("enterprise", "facility", "waste_code"),
        pk=pk,
    )
    form = LabelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                label_containers(entry=entry, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                field_errors(form, error)
                status = error.http_status
            else:
                messages.success(request, _("Containers labelled."))
                return redirect("transfers:container_labels", pk=entry.pk)
        else:
            status = 400
    return render(request, "transfers/container_label.html", {"form": form, "entry": entry}, status=status)


@login_required
def container_labels(request: SignedInRequest, pk: int) -> HttpResponse:
    """The printable labels of an entry's containers (HJ 1276-2022 layout), several to a page."""
    entry = get_object_or_404(LedgerEntry.objects.visible_to(request.user), pk=pk)
    containers = list(entry.containers.select_related("enterprise", "waste_code__category").order_by("pk"))
    labels = [
        {
            "container": container,
            "hazards": [
                (letter, HAZARDS.get(letter, letter)) for letter in container.waste_code.hazard.split("/") if letter
            ],
            # The QR code carries the bare id: a phone reads it straight into the scan page, offline too.
            "qr_svg": mark_safe(segno.make(container.code, error="m").svg_inline(scale=3)),  # noqa: S308 (segno's own SVG)
        }
        for container in containers
    ]
    return render(request, "transfers/container_labels.html", {"entry": entry, "labels": labels})


@login_required
def container_scan(request: SignedInRequest) -> HttpResponse:
    """Type, paste or (where the browser has BarcodeDetector) photograph a label and record the scan."""
    form = ScanForm(request.POST or None, user=request.user)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = scan_container(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                field_errors(form, error)
                status = error.http_status
        else:
            status = 400
    return render(request, "transfers/container_scan.html", {"form": form, "result": result}, status=status)


@login_required
def container_detail(request: SignedInRequest, code: str) -> HttpResponse:
    container = get_object_or_404(
        Container.objects.visible_to(request.user).select_related(
            "enterprise", "facility", "waste_code", "manifest_line__manifest"
        ),
        code=code,
    )
    scans = container.scans.select_related("actor", "manifest", "facility", "acting_enterprise")
    return render(request, "transfers/container_detail.html", {"container": container, "scans": scans})


@login_required
@require_POST
def manifest_containers(request: SignedInRequest, pk: int) -> HttpResponse:
    """The consignor makes one of its manifest's lines of labelled containers (before pickup)."""
    manifest = get_object_or_404(Manifest.objects.visible_to(request.user), pk=pk)
    form = LoadForm(request.POST, manifest=manifest)
    if form.is_valid():
        try:
            loaded = load_containers(
                line=form.cleaned_data["line"], actor=request.user, codes=form.cleaned_data["codes"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(count)s containers make up the line.") % {"count": len(loaded)})
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("transfers:manifest_detail", pk=manifest.pk)
