"""The officers' symbiosis network page: the rolling window's flows between enterprises and the potential
links to licensed utilizers, drawn and tabled (reporting.symbiosis.network)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from registry.models import Park
from registry.tenancy import scope_of
from wasteparks.db_router import reads_from_replica
from wasteparks.pages import SignedInRequest

from ..symbiosis.network import LABELLED, symbiosis_network
from ..symbiosis.opportunities import rolling_window


@login_required
@reads_from_replica
def network_page(request: SignedInRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.is_officer and not scope.everything:
        raise PermissionDenied(_("The symbiosis network is for park and provincial officers."))
    return render(
        request,
        "reporting/network.html",
        {
            "network": symbiosis_network(parks=Park.objects.visible_to(request.user)),
            "labelled_count": LABELLED,
            "window": rolling_window(),
        },
    )


urlpatterns = [path("network/", network_page, name="network")]
