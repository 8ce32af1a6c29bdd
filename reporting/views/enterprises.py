"""Reporting pages: the enterprise page, one enterprise as its officers and its own staff see it.

The registry's facts (details, facilities, permits, the registration history and the officers'
decisions) beside what transfers and reporting hold about the enterprise (stock on hand with the age of
its oldest tonne, recent manifests, monthly reports, open warnings, inspections). The page is composed
here because reporting may read registry and transfers, never the reverse (DESIGN 2); each rule stays
with its app, this page only shows what the rules say. The officers' decisions are posted to registry.
"""

from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone

from registry.forms import DecisionForm
from registry.models import Enterprise, PermitLine, WasteClass
from registry.rules import ENTERPRISE_FLOW, OFFICER, EnterpriseAction
from registry.tenancy import scope_of
from transfers import stock_ages
from transfers.models import Manifest, StockBalance
from wasteparks.db_router import reads_from_replica
from wasteparks.pages import SignedInRequest
from wasteparks.periods import Period

from ..models.inspections import Inspection
from ..models.reports import MonthlyReport
from ..models.thresholds import ThresholdKey
from ..models.warnings import Warning
from ..services.dashboard import cached_carbon
from ..warnings.thresholds import thresholds_for

RECENT_MANIFESTS = 10
RECENT_REPORTS = 12
RECENT_INSPECTIONS = 10
RECENT_CLASS_CHANGES = 3
# How each officer decision's button looks; which decisions are offered comes from ENTERPRISE_FLOW.
DECISION_STYLES = {
    "verify": "btn-success",
    "reinstate": "btn-success",
    "reject": "btn-outline-danger",
    "suspend": "btn-outline-danger",
    "close": "btn-outline-secondary",
}


def _decisions(enterprise: Enterprise) -> list[dict[str, str]]:
    """The officers' decisions open in the enterprise's status, in the workflow's order."""
    return [
        {"action": action, "label": ENTERPRISE_FLOW.action_label(action), "style": DECISION_STYLES[action]}
        for action in ENTERPRISE_FLOW.available(enterprise.status)
        if ENTERPRISE_FLOW[action].actor == OFFICER
    ]


def _stock_with_ages(enterprise: Enterprise, *, now: datetime, notice_days: int) -> list[StockBalance]:
    """Stock on hand with the age of its oldest tonne (FIFO), oldest first; the ages of balances unchanged
    since they were last read come from the cache (transfers/stock_ages.py).

    Hazardous stock older than `notice_days` is marked too old, as the storage warning marks it.
    """
    notice_from = now - timedelta(days=notice_days)
    balances = list(
        StockBalance.objects.filter(enterprise=enterprise).on_hand().select_related("facility", "waste_code")
    )
    stock_ages.with_oldest_on_hand(balances)
    balances.sort(key=lambda balance: (balance.oldest_on_hand_at is None, balance.oldest_on_hand_at or now, balance.pk))
    for balance in balances:
        oldest = balance.oldest_on_hand_at
        balance.age_days = None if oldest is None else (now - oldest).days
        balance.too_old = (
            oldest is not None and balance.waste_code.waste_class == WasteClass.HAZARDOUS and oldest < notice_from
        )
    return balances


@login_required
@reads_from_replica
def enterprise_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(
        Enterprise.objects.visible_to(request.user).select_related("park__division", "verified_by"), pk=pk
    )
    history = (
        enterprise.history.select_related("history_user")
        .only("history_date", "history_user", "status", "history_change_reason")
        .order_by("-history_date")[:50]
    )
    # Whoever may see the enterprise (fetched through visible_to above) may see every manifest naming it
    # (registry/tenancy.py): its officers and its own staff. Filtering by the user's jurisdiction again
    # would change no row, but PostgreSQL, taking the two conditions for independent, then misjudges a
    # receiver's thousands of manifests as a few hundred and reads the park's whole history (B5).
    manifests = (
        Manifest.objects.involving(enterprise.pk).as_rows_of_a_list().order_by("-created_at", "-pk")[:RECENT_MANIFESTS]
    )
    # Its reports likewise: MonthlyReportQuerySet.visible_to is the enterprise's own scope read through the
    # report's enterprise, and for an officer it would read the park's enterprise ids once more.
    reports = (
        MonthlyReport.objects.filter(enterprise=enterprise)
        .select_related("current_revision")
        .order_by("-year", "-month")[:RECENT_REPORTS]
    )
    warnings = Warning.objects.visible_to(request.user).live().filter(enterprise=enterprise)
    inspections = (
        Inspection.objects.visible_to(request.user)
        .filter(enterprise=enterprise)
        .with_state(timezone.localdate())
        .select_related("enterprise", "officer")
    )
    # The one threshold: the park's storage notice (WARNING_STORAGE_NOTICE_DAYS unless the province or the
    # park set their own), the age at which the STORAGE_OVER_LIMIT warning is raised.
    notice_days = int(thresholds_for(enterprise.park)[ThresholdKey.STORAGE_NOTICE_DAYS])
    scope = scope_of(request.user)
    return render(
        request,
        "reporting/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "facilities": enterprise.facilities.order_by("name"),
            "permits": enterprise.permits.prefetch_related(
                Prefetch("lines", queryset=PermitLine.objects.select_related("waste_code", "category", "method"))
            ),
            "history": history,
            "class_changes": enterprise.class_changes.order_by("-at", "-id")[:RECENT_CLASS_CHANGES],
            "can_decide": scope.supervises_park(enterprise.park),
            "decisions": _decisions(enterprise),
            "decision_form": DecisionForm(),
            "can_resubmit": EnterpriseAction.RESUBMIT in ENTERPRISE_FLOW.available(enterprise.status)
            and enterprise.is_administered_by(request.user),
            # Its administrators invite and remove its people (registry/account_views.py).
            "can_manage_people": enterprise.is_administered_by(request.user),
            "stock": _stock_with_ages(enterprise, now=timezone.now(), notice_days=notice_days),
            "storage_notice_days": notice_days,
            "manifests": manifests,
            "reports": reports,
            "warnings": list(warnings.order_by("-raised_at", "-pk")),
            "inspections": list(inspections.order_by("-date", "-pk")[:RECENT_INSPECTIONS]),
            # Officers of the park record inspections from here; the detail pages are the officers' own.
            "can_inspect": scope.supervises_park(enterprise.park),
            "inspection_links": scope.is_officer or scope.everything,
            # CO2e avoided by its utilization and emitted by its transport this month (docs/carbon.md), read
            # at most every DASHBOARD_AGGREGATES_CACHE_SECONDS as the dashboard's are, with when.
            "carbon": (
                carbon := cached_carbon(f"enterprise-carbon:{enterprise.pk}", [enterprise.pk], Period.containing())
            )["figures"],
            "carbon_as_of": carbon["as_of"],
            "carbon_period": Period.containing(),
        },
    )


urlpatterns = [
    path("enterprises/<int:pk>/", enterprise_detail, name="enterprise_detail"),
]
