"""The navigation bar and the start page: which pages each kind of user gets, in one list.

An entry whose page does not exist (yet) is left out, so an app adds its pages here by name only.
Audiences: officers; enterprise staff; drivers (staff whose only role is driving, on a phone: the
pickups and the manifests they carry); carriers' pickers-up (who see the pickup page); and someone with
no role yet (the registration form).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from registry.models import EnterpriseRole
from registry.tenancy import scope_of
from transfers.rules import pickup_enterprise_ids
from wasteparks.pages import SignedInRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

OFFICER, ENTERPRISE, DRIVER, PICKUP = "officer", "enterprise", "driver", "pickup"


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: StrOrPromise  # translated when the bar is rendered, in the user's language
    audiences: frozenset[str]


NAV_ITEMS = [
    NavItem("reporting:dashboard", _("Dashboard"), frozenset({OFFICER})),
    NavItem("registry:enterprise_list", _("Enterprises"), frozenset({OFFICER, ENTERPRISE})),
    NavItem("registry:permit_list", _("Permits"), frozenset({OFFICER})),
    NavItem("transfers:manifest_list", _("Manifests"), frozenset({OFFICER, ENTERPRISE, DRIVER})),
    NavItem("transfers:ledger_list", _("Ledger"), frozenset({OFFICER, ENTERPRISE})),
    NavItem("transfers:stock_list", _("Stock"), frozenset({OFFICER, ENTERPRISE})),
    NavItem("transfers:pickup_list", _("Pickups"), frozenset({PICKUP})),
    NavItem("reporting:report_list", _("Monthly reports"), frozenset({OFFICER, ENTERPRISE})),
    NavItem("reporting:plan_list", _("Management plans"), frozenset({OFFICER, ENTERPRISE})),
    NavItem("reporting:warning_list", _("Warnings"), frozenset({OFFICER, ENTERPRISE})),
    NavItem("reporting:inspection_list", _("Inspections"), frozenset({OFFICER})),
    NavItem("reporting:exchange", _("Symbiosis"), frozenset({OFFICER, ENTERPRISE})),
    NavItem("reporting:import_list", _("Platform imports"), frozenset({OFFICER})),
    NavItem("registry:account_list", _("Accounts"), frozenset({OFFICER})),
    # Staff of an enterprise register another one from the enterprise list; a newcomer has only this.
    NavItem("registry:enterprise_apply", _("Register an enterprise"), frozenset({"newcomer"})),
]


def audiences_of(user) -> set[str]:
    scope = scope_of(user)
    if scope.everything:
        return {OFFICER, ENTERPRISE, PICKUP}
    found = set()
    if scope.is_officer:
        found.add(OFFICER)
    roles = set().union(*scope.enterprise_roles.values())
    if roles == {EnterpriseRole.DRIVER}:
        found.add(DRIVER)
    elif roles:
        found.add(ENTERPRISE)
    if pickup_enterprise_ids(scope):
        found.add(PICKUP)
    return found or {"newcomer"}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    audiences = audiences_of(user)
    items: list[dict[str, Any]] = []
    for item in NAV_ITEMS:
        if not item.audiences & audiences:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": item.label, "active": False})
    # The longest matching prefix is the current page: /enterprises/apply/ is not also /enterprises/.
    matches = [entry for entry in items if request.path.startswith(entry["url"])]
    if matches:
        max(matches, key=lambda entry: len(entry["url"]))["active"] = True
    return {"nav_items": items}


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    """Where `/` and a fresh login lead: officers to their dashboard, a driver to the loads waiting for
    pickup (the page made for a phone), other enterprise staff to their manifests, someone without any
    role yet to the registration form."""
    audiences = audiences_of(request.user)
    if OFFICER in audiences:
        return redirect("reporting:dashboard")
    if DRIVER in audiences:
        return redirect("transfers:pickup_list" if PICKUP in audiences else "transfers:manifest_list")
    if ENTERPRISE in audiences:
        return redirect("transfers:manifest_list")
    return redirect("registry:enterprise_apply")
