"""Transfer pages: manifests (lists, detail, signatures, print and public verification), the ledger and
stock lists, and the enterprise portal's forms. Views stay thin: forms validate, services decide."""

from dataclasses import dataclass

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.models import EnterpriseRole, Facility, WasteCode
from registry.tenancy import scope_of
from wasteparks.errors import DomainError
from wasteparks.lists import export_if_asked, lazily, page_of, sort_by_request

from . import forms, rules, services
from .models import (
    LedgerEntry,
    Manifest,
    ManifestEvent,
    ManifestLine,
    ManifestStatus,
    Party,
    RevisionDecision,
    RevisionRequest,
    RevisionStatus,
    StockBalance,
)

VERIFY_SALT = "transfers.manifest.verify"

ACTION_LABELS = {
    "submit": gettext_lazy("Signed and submitted"),
    "pickup": gettext_lazy("Picked up"),
    "receive": gettext_lazy("Received"),
    "treat": gettext_lazy("Treatment recorded"),
    "cancel": gettext_lazy("Cancelled"),
    "reject": gettext_lazy("Load rejected"),
    "revision_proposed": gettext_lazy("Revision proposed"),
    "revision_approved": gettext_lazy("Revision approved"),
    "revision_refused": gettext_lazy("Revision refused"),
}
ROLE_LABELS = dict(EnterpriseRole.choices)
FIELD_LABELS = {
    "vehicle_plate": gettext_lazy("Vehicle plate"),
    "planned_date": gettext_lazy("Planned date"),
    **{name: label for name, label in forms.RevisionForm.LINE_FIELDS if name},
}


# --- shared helpers -------------------------------------------------------------------------------


def _field_errors(form, error: DomainError) -> None:
    """Put a service's refusal next to the field it names, or at the top of the form."""
    field = next((name for name in error.fields if name in form.fields), None)
    form.add_error(field, error.message)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _visible_manifest(request: HttpRequest, pk: int) -> Manifest:
    return get_object_or_404(
        Manifest.objects.visible_to(request.user).select_related("consignor", "carrier", "receiver"), pk=pk
    )


# --- what the current user may do -----------------------------------------------------------------


@dataclass
class Actions:
    transitions: set[str]
    can_edit: bool
    can_propose: bool
    can_decide: bool
    pending: RevisionRequest | None

    def __contains__(self, name: str) -> bool:
        return name in self.transitions

    @property
    def any(self) -> bool:
        return bool(self.transitions or self.can_edit or self.can_propose or self.can_decide)


def available_actions(manifest: Manifest, user, revisions: list[RevisionRequest]) -> Actions:
    """The signatures and decisions `user` may make on `manifest` right now (the services re-check)."""
    scope = scope_of(user)
    pending = next((revision for revision in revisions if revision.status == RevisionStatus.PENDING), None)

    def signs_for(party: str) -> bool:
        return not scope.read_only and bool(scope.roles_on(manifest.party_id(party)) & rules.PARTY_ROLES[party])

    transitions = {
        name
        for name, transition in rules.TRANSITIONS.items()
        if manifest.status in transition.sources and signs_for(transition.party)
    }
    if pending is not None:
        # A pending revision holds the pickup (services.pickup_manifest refuses it).
        transitions.discard("pickup")
    can_decide = False
    if pending is not None:
        decided = {decision.party for decision in pending.decisions.all()}
        can_decide = any(
            signs_for(party)
            for party in Party.values
            if manifest.party_id(party) != pending.proposing_enterprise_id and party not in decided
        )
    return Actions(
        transitions=transitions,
        can_edit=manifest.status == ManifestStatus.DRAFT and signs_for(Party.CONSIGNOR),
        can_propose=manifest.status in rules.REVISABLE_STATUSES
        and pending is None
        and any(signs_for(party) for party in Party.values),
        can_decide=can_decide,
        pending=pending,
    )


# --- manifest list --------------------------------------------------------------------------------

MANIFEST_SORTS = {
    "number": ["number"],
    "status": ["status"],
    "consignor": ["consignor__name"],
    "receiver": ["receiver__name"],
    "planned_date": ["planned_date"],
    "submitted_at": ["submitted_at"],
    "created_at": ["created_at"],
}


def _filtered_manifests(request: HttpRequest, form: forms.ManifestFilterForm):
    manifests = Manifest.objects.visible_to(request.user).select_related("consignor", "carrier", "receiver")
    form.is_valid()
    data = form.cleaned_data
    if query := data.get("q", "").strip():
        manifests = manifests.filter(
            Q(number__startswith=query)
            | Q(consignor__name__icontains=query)
            | Q(carrier__name__icontains=query)
            | Q(receiver__name__icontains=query)
        )
    if status := data.get("status"):
        manifests = manifests.filter(status=status)
    if waste_class := data.get("waste_class"):
        manifests = manifests.filter(waste_class=waste_class)
    if code := data.get("code", "").strip():
        manifests = manifests.filter(
            pk__in=ManifestLine.objects.filter(waste_code__code__startswith=code).values("manifest_id")
        )
    manifests = manifests.planned_between(data.get("planned_from"), data.get("planned_to"))
    if data.get("discrepancy"):
        manifests = manifests.filter(has_discrepancy=True)
    return manifests.prefetch_related(
        Prefetch("lines", queryset=ManifestLine.objects.select_related("waste_code").order_by("line_no"))
    )


@login_required
def manifest_list(request: HttpRequest) -> HttpResponse:
    form = forms.ManifestFilterForm(request.GET)
    manifests, sort = sort_by_request(_filtered_manifests(request, form), request, MANIFEST_SORTS, "-created_at")
    exported = export_if_asked(
        request,
        "manifests",
        _("Manifests"),
        [
            _("Number"),
            _("Status"),
            _("Consignor"),
            _("Carrier"),
            _("Receiver"),
            _("Waste class"),
            _("Waste codes"),
            _("Declared (t)"),
            _("Received (t)"),
            _("Planned date"),
            _("Submitted at"),
            _("Received at"),
            _("Discrepancy"),
        ],
        (
            [
                manifest.number or "",
                manifest.get_status_display(),
                manifest.consignor.name,
                manifest.carrier.name,
                manifest.receiver.name,
                manifest.get_waste_class_display(),
                " ".join(line.waste_code.code for line in manifest.lines.all()),
                sum(line.declared_quantity_t for line in manifest.lines.all()),
                _received_total(manifest),
                manifest.planned_date,
                manifest.submitted_at,
                manifest.received_at,
                _("yes") if manifest.has_discrepancy else "",
            ]
            for manifest in lazily(manifests)
        ),
    )
    if exported:
        return exported
    return render(
        request,
        "transfers/manifest_list.html",
        {
            "form": form,
            "page": page_of(request, manifests),
            "sort": sort,
            "can_prepare": forms.signing_enterprises(request.user, Party.CONSIGNOR).exists(),
            "can_pick_up": forms.signing_enterprises(request.user, Party.CARRIER).exists(),
        },
    )


def _received_total(manifest: Manifest):
    received = [line.received_quantity_t for line in manifest.lines.all() if line.received_quantity_t is not None]
    return sum(received) if received else None


# --- manifest detail and signatures ---------------------------------------------------------------


def _detail_context(request: HttpRequest, manifest: Manifest, **overrides) -> dict:
    manifest = (
        Manifest.objects.select_related(
            "consignor__park", "carrier__park", "receiver__park", "driver", "approval__waste_code", "created_by"
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ManifestLine.objects.select_related(
                    "waste_code", "source_facility", "receiving_facility", "treatment_method"
                ),
            ),
            Prefetch("events", queryset=ManifestEvent.objects.select_related("actor", "acting_enterprise")),
        )
        .get(pk=manifest.pk)
    )
    revisions = list(
        manifest.revisions.select_related("proposed_by", "proposing_enterprise").prefetch_related(
            Prefetch("decisions", queryset=RevisionDecision.objects.select_related("decided_by", "enterprise"))
        )
    )
    for revision in revisions:
        revision.rows = _revision_rows(revision)
    events = list(manifest.events.all())
    for event in events:
        event.action_label = ACTION_LABELS.get(event.action, event.action)
        event.role_label = ROLE_LABELS.get(event.role, event.role)
    actions = available_actions(manifest, request.user, revisions)
    lines = list(manifest.lines.all())
    context = {
        "manifest": manifest,
        "lines": lines,
        "events": events,
        "revisions": revisions,
        "actions": actions,
        "comment_form": forms.CommentForm(),
        "reason_form": forms.ReasonForm(),
        "reject_form": forms.RequiredReasonForm(),
        "pickup_form": forms.PickupForm(manifest=manifest, user=request.user) if "pickup" in actions else None,
        "revision_form": forms.RevisionForm(line_numbers=[line.line_no for line in lines]),
        "decision_form": forms.DecisionForm(),
        "declared_total": sum(line.declared_quantity_t for line in lines),
    }
    context.update(overrides)
    return context


def _revision_rows(revision: RevisionRequest) -> list[tuple]:
    rows = []
    for name, value in (revision.changes.get("manifest") or {}).items():
        old = (revision.previous.get("manifest") or {}).get(name)
        rows.append((None, FIELD_LABELS.get(name, name), old, value))
    for line_no, fields in (revision.changes.get("lines") or {}).items():
        for name, value in fields.items():
            old = ((revision.previous.get("lines") or {}).get(line_no) or {}).get(name)
            rows.append((line_no, FIELD_LABELS.get(name, name), old, value))
    return rows


def _render_detail(request: HttpRequest, manifest: Manifest, status: int = 200, **overrides) -> HttpResponse:
    return render(
        request, "transfers/manifest_detail.html", _detail_context(request, manifest, **overrides), status=status
    )


@login_required
def manifest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_manifest(request, pk))


def _refused(request: HttpRequest, manifest: Manifest, error: DomainError, **overrides) -> HttpResponse:
    """Show why a service refused, with the error's status (403, 409 or 400); nothing was saved."""
    messages.error(request, error.message)
    return _render_detail(request, manifest, status=error.http_status, **overrides)


SIGN_FORMS = {
    "submit": (forms.CommentForm, "comment_form"),
    "cancel": (forms.ReasonForm, "reason_form"),
    "reject": (forms.RequiredReasonForm, "reject_form"),
}


@login_required
@require_POST
def manifest_sign(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The one-button signatures: submit, cancel and reject (the last two with a reason)."""
    manifest = _visible_manifest(request, pk)
    if action not in SIGN_FORMS:
        raise Http404
    form_class, context_name = SIGN_FORMS[action]
    form = form_class(request.POST)
    # The page shown again after a refusal keeps what was typed, with the form open.
    kept = {context_name: form, "open_form": action}
    if not form.is_valid():
        return _render_detail(request, manifest, status=400, **kept)
    data = form.cleaned_data
    try:
        if action == "submit":
            services.submit_manifest(manifest=manifest, actor=request.user, comment=data["comment"])
            messages.success(request, _("The manifest is signed and submitted."))
        elif action == "cancel":
            services.cancel_manifest(manifest=manifest, actor=request.user, reason=data["reason"])
            messages.success(request, _("The manifest is cancelled."))
        else:
            services.reject_manifest(manifest=manifest, actor=request.user, reason=data["reason"])
            messages.success(request, _("The load is rejected and booked back to the consignor."))
    except DomainError as error:
        return _refused(request, manifest, error, **kept)
    return redirect("transfers:manifest_detail", pk=pk)


@login_required
def manifest_pickup(request: HttpRequest, pk: int) -> HttpResponse:
    """The carrier signs for the load: the plate, and the driver when an administrator signs."""
    manifest = _visible_manifest(request, pk)
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
                _field_errors(form, error)
                status = error.http_status
            else:
                messages.success(
                    request, _("Pickup signed for manifest %(number)s.") % {"number": manifest.number or manifest.pk}
                )
                return redirect(_safe_next(request, reverse("transfers:manifest_detail", args=[pk])))
        else:
            status = 400
    lines = list(manifest.lines.select_related("waste_code").order_by("line_no"))
    return render(
        request, "transfers/manifest_pickup.html", {"manifest": manifest, "lines": lines, "form": form}, status=status
    )


@login_required
def pickup_list(request: HttpRequest) -> HttpResponse:
    """The driver's phone page: manifests of its carriers that wait for pickup."""
    carriers = forms.signing_enterprises(request.user, Party.CARRIER)
    manifests = (
        Manifest.objects.visible_to(request.user)
        .filter(status=ManifestStatus.SUBMITTED, carrier__in=carriers)
        .select_related("consignor", "receiver", "carrier")
        .prefetch_related(Prefetch("lines", queryset=ManifestLine.objects.select_related("waste_code")))
        .order_by("planned_date", "pk")
    )
    items = [(manifest, forms.PickupForm(manifest=manifest, user=request.user)) for manifest in manifests[:100]]
    return render(request, "transfers/pickup_list.html", {"items": items, "has_carrier": carriers.exists()})


@login_required
def manifest_receive(request: HttpRequest, pk: int) -> HttpResponse:
    manifest = _visible_manifest(request, pk)
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
def manifest_treat(request: HttpRequest, pk: int) -> HttpResponse:
    manifest = _visible_manifest(request, pk)
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
def revision_propose(request: HttpRequest, pk: int) -> HttpResponse:
    manifest = _visible_manifest(request, pk)
    form = forms.RevisionForm(request.POST, line_numbers=list(manifest.lines.values_list("line_no", flat=True)))
    if not form.is_valid():
        return _render_detail(request, manifest, status=400, revision_form=form, open_form="revise")
    try:
        services.propose_revision(
            manifest=manifest, actor=request.user, changes=form.changes(), reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        _field_errors(form, error)
        return _render_detail(request, manifest, status=error.http_status, revision_form=form, open_form="revise")
    messages.success(request, _("Revision proposed; the other parties are asked to approve it."))
    return redirect("transfers:manifest_detail", pk=pk)


@login_required
@require_POST
def revision_decide(request: HttpRequest, pk: int, revision_pk: int, decision: str) -> HttpResponse:
    manifest = _visible_manifest(request, pk)
    revision = get_object_or_404(manifest.revisions.all(), pk=revision_pk)
    if decision not in (RevisionDecision.APPROVE, RevisionDecision.REFUSE):
        raise Http404
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, manifest, status=400, decision_form=form)
    try:
        services.decide_revision(
            revision=revision,
            actor=request.user,
            approve=decision == RevisionDecision.APPROVE,
            comment=form.cleaned_data["comment"],
        )
    except DomainError as error:
        return _refused(request, manifest, error)
    messages.success(request, _("Decision recorded."))
    return redirect("transfers:manifest_detail", pk=pk)


# --- preparing a manifest -------------------------------------------------------------------------


def _line_formset(request: HttpRequest, initial=None):
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and "add_line" in data:
        # "Add a line" re-renders the form with one more empty line; nothing is saved.
        total = int(data.get("line-TOTAL_FORMS", "1") or 1)
        data["line-TOTAL_FORMS"] = str(min(total + 1, rules.MAX_LINES_PER_MANIFEST))
    return forms.ManifestLineFormSet(
        data, initial=initial, prefix="line", facilities=forms.consignor_facilities(request.user)
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


def _form_page(request, template: str, context: dict, status: int) -> HttpResponse:
    context["codes"] = WasteCode.objects.filter(active=True).values_list("code", "name_zh")
    return render(request, template, context, status=status)


@login_required
def manifest_new(request: HttpRequest) -> HttpResponse:
    form = forms.ManifestForm(request.POST or None, user=request.user)
    formset = _line_formset(request)
    status = 200
    if request.method == "POST" and "add_line" not in request.POST:
        if form.is_valid() and formset.is_valid():
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
                    approval=data["approval"],
                    lines=_line_inputs(formset),
                )
            except DomainError as error:
                _field_errors(form, error)
                status = error.http_status
            else:
                messages.success(request, _("Draft saved. Check it, then sign to submit."))
                return redirect("transfers:manifest_detail", pk=manifest.pk)
        else:
            status = 400
    return _form_page(request, "transfers/manifest_form.html", {"form": form, "formset": formset}, status)


@login_required
def manifest_edit(request: HttpRequest, pk: int) -> HttpResponse:
    manifest = _visible_manifest(request, pk)
    if manifest.status != ManifestStatus.DRAFT:
        messages.error(request, _("Only a draft can be edited; propose a revision instead."))
        return redirect("transfers:manifest_detail", pk=pk)
    initial = {
        name: getattr(manifest, name) for name in ("waste_class", "purpose", "planned_date", "vehicle_plate")
    } | {"carrier": manifest.carrier_id, "receiver": manifest.receiver_id, "approval": manifest.approval_id}
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
        if form.is_valid() and formset.is_valid():
            try:
                services.update_draft(
                    manifest=manifest, actor=request.user, changes=dict(form.cleaned_data), lines=_line_inputs(formset)
                )
            except DomainError as error:
                _field_errors(form, error)
                status = error.http_status
            else:
                messages.success(request, _("Draft saved."))
                return redirect("transfers:manifest_detail", pk=pk)
        else:
            status = 400
    return _form_page(
        request, "transfers/manifest_form.html", {"form": form, "formset": formset, "manifest": manifest}, status
    )


# --- print copy and public verification -----------------------------------------------------------


def verification_token(manifest: Manifest) -> str:
    """A signed reference to the manifest: it cannot be guessed from the id, and needs no stored field."""
    return signing.Signer(salt=VERIFY_SALT, sep=".").sign(str(manifest.pk))


@login_required
def manifest_print(request: HttpRequest, pk: int) -> HttpResponse:
    context = _detail_context(request, _visible_manifest(request, pk))
    verify_url = request.build_absolute_uri(reverse("transfers:verify", args=[verification_token(context["manifest"])]))
    qr_svg = segno.make(verify_url, error="m").svg_inline(scale=3, omitsize=False)
    context.update({"verify_url": verify_url, "qr_svg": mark_safe(qr_svg)})  # noqa: S308 (segno's own SVG)
    return render(request, "transfers/manifest_print.html", context)


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: whoever scans a printed copy sees that it is genuine and its status, nothing more."""
    try:
        pk = int(signing.Signer(salt=VERIFY_SALT, sep=".").unsign(token))
    except (signing.BadSignature, ValueError):
        raise Http404 from None
    # A signed id is the only key accepted here, so this lookup needs no tenancy filter.
    manifest = get_object_or_404(Manifest.objects.select_related("consignor", "carrier", "receiver"), pk=pk)
    return render(request, "transfers/verify.html", {"manifest": manifest})


# --- ledger and stock -----------------------------------------------------------------------------

LEDGER_SORTS = {
    "occurred_at": ["occurred_at"],
    "enterprise": ["enterprise__name"],
    "stage": ["stage"],
    "code": ["waste_code__code"],
    "quantity": ["quantity_t"],
}


@login_required
def ledger_list(request: HttpRequest) -> HttpResponse:
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
                entry.recorded_by.username,
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
def ledger_new(request: HttpRequest) -> HttpResponse:
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
                _field_errors(form, error)
                status = error.http_status
            else:
                messages.success(request, _("Ledger entry recorded."))
                return redirect("transfers:ledger_list")
        else:
            status = 400
    return _form_page(request, "transfers/ledger_form.html", {"form": form}, status)


STOCK_SORTS = {
    "enterprise": ["enterprise__name", "facility__name"],
    "code": ["waste_code__code"],
    "quantity": ["quantity_t"],
    "oldest": ["oldest_on_hand_at"],
}


@login_required
def stock_list(request: HttpRequest) -> HttpResponse:
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
    return render(request, "transfers/stock_list.html", {"form": form, "page": page, "sort": sort})
