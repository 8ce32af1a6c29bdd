"""Manifest pages: the list with its filters and export, and the detail page with its signature trail,
its revisions and the actions the current user may take."""

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from registry.tenancy import scope_of
from wasteparks.db_router import reads_from_replica
from wasteparks.lists import export_if_asked, lazily, page_of, sort_by_request
from wasteparks.pages import SignedInRequest

from .. import forms, rules
from ..models import (
    Container,
    Manifest,
    ManifestAction,
    ManifestEvent,
    ManifestLine,
    ManifestStatus,
    Party,
    RevisionDecision,
    RevisionRequest,
    RevisionStatus,
)
from ..querysets import ManifestQuerySet
from ..services.containers import STORE_ROLES
from .common import visible_manifest
from .containers import LoadForm

FIELD_LABELS = {
    "vehicle_plate": gettext_lazy("Vehicle plate"),
    "planned_date": gettext_lazy("Planned date"),
    **{name: label for name, label in forms.RevisionForm.LINE_FIELDS if name},
}


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
        action for action in rules.signatures_from(manifest.status) if signs_for(rules.MANIFEST_FLOW[action].actor)
    }
    if pending is not None:
        # A pending revision holds the pickup (services.pickup_manifest refuses it).
        transitions.discard(ManifestAction.PICKUP)
    can_decide = False
    if pending is not None:
        decided = {decision.party for decision in pending.decisions.all()}
        deciders = rules.revision_deciders(
            manifest, proposing_enterprise_id=pending.proposing_enterprise_id, changes=pending.changes
        )
        can_decide = any(signs_for(party) for party in deciders if party not in decided)
    return Actions(
        transitions=transitions,
        can_edit=manifest.status == ManifestStatus.DRAFT and signs_for(Party.CONSIGNOR),
        can_propose=ManifestAction.REVISION_PROPOSED in rules.MANIFEST_FLOW.available(manifest.status)
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
    # The creation time where the viewer's newest are read first (ManifestQuerySet.listed_for).
    "created_at": ["listed_at"],
}


def _filtered_manifests(request: SignedInRequest, form: forms.ManifestFilterForm):
    manifests = Manifest.objects.listed_for(request.user).select_related("consignor", "carrier", "receiver")
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
        manifests = manifests.with_code(code, prefix=True)
    manifests = manifests.planned_between(data.get("planned_from"), data.get("planned_to"))
    if data.get("discrepancy"):
        manifests = manifests.filter(has_discrepancy=True)
    return manifests


def _with_listed_codes(rows: list[Manifest]) -> None:
    """Each row's waste codes in line order as `listed_codes`, one query for the page (values, not lines:
    a row shows only the codes)."""
    codes: dict[int, list[str]] = {row.pk: [] for row in rows}
    lines = ManifestLine.objects.filter(manifest_id__in=list(codes)).order_by("manifest_id", "line_no")
    for manifest_id, code in lines.values_list("manifest_id", "waste_code__code"):
        codes[manifest_id].append(code)
    for row in rows:
        row.listed_codes = codes[row.pk]  # type: ignore[attr-defined]


@login_required
@reads_from_replica
def manifest_list(request: SignedInRequest) -> HttpResponse:
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
            pgettext("weighed at the gate", "Received (t)"),
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
            for manifest in lazily(
                manifests.prefetch_related(
                    Prefetch("lines", queryset=ManifestLine.objects.select_related("waste_code").order_by("line_no"))
                )
            )
        ),
    )
    if exported:
        return exported
    return render(
        request,
        "transfers/manifest_list.html",
        {
            "form": form,
            "page": page_of(request, cast(ManifestQuerySet, manifests).as_rows_of_a_list(), then=_with_listed_codes),
            "sort": sort,
            "can_prepare": forms.signing_enterprises(request.user, Party.CONSIGNOR).exists(),
            "can_pick_up": forms.signing_enterprises(request.user, Party.CARRIER).exists(),
        },
    )


def _received_total(manifest: Manifest):
    received = [line.received_quantity_t for line in manifest.lines.all() if line.received_quantity_t is not None]
    return sum(received) if received else None


# --- manifest detail ------------------------------------------------------------------------------


def detail_context(request: SignedInRequest, manifest: Manifest, **overrides) -> dict:
    """Everything the detail page (and the print copy) shows; `overrides` keep a refused form open."""
    manifest = (
        Manifest.objects.select_related(
            "consignor__park", "carrier__park", "receiver__park", "driver", "approval__waste_code", "created_by"
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ManifestLine.objects.select_related(
                    "waste_code", "source_facility", "receiving_facility", "treatment_method"
                ).prefetch_related(Prefetch("containers", queryset=Container.objects.order_by("code"))),
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
    actions = available_actions(manifest, request.user, revisions)
    lines = list(manifest.lines.all())
    context = {
        "manifest": manifest,
        "lines": lines,
        "events": list(manifest.events.all()),
        # Each revision with its changes as (line, field, old, new) rows, as the page lists them.
        "revision_rows": [(revision, _revision_rows(revision)) for revision in revisions],
        "actions": actions,
        "comment_form": forms.CommentForm(),
        "reason_form": forms.ReasonForm(),
        "reject_form": forms.RequiredReasonForm(),
        "pickup_form": forms.PickupForm(manifest=manifest, user=request.user)
        if ManifestAction.PICKUP in actions
        else None,
        "revision_form": forms.RevisionForm(line_numbers=[line.line_no for line in lines]),
        "decision_form": forms.DecisionForm(),
        "declared_total": sum(line.declared_quantity_t for line in lines),
        # Before pickup the consignor's staff may make a line of labelled containers (docs/containers.md).
        "load_form": LoadForm(manifest=manifest)
        if manifest.status in (ManifestStatus.DRAFT, ManifestStatus.SUBMITTED)
        and scope_of(request.user).roles_on(manifest.consignor_id) & STORE_ROLES
        else None,
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


def render_detail(request: SignedInRequest, manifest: Manifest, status: int = 200, **overrides) -> HttpResponse:
    return render(
        request, "transfers/manifest_detail.html", detail_context(request, manifest, **overrides), status=status
    )


@login_required
def manifest_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    return render_detail(request, visible_manifest(request, pk))
