"""The officers' opportunities page: disposed streams a licensed utilizer could take, ranked by the
rise of the park's rolling utilization rate (reporting.symbiosis.opportunities)."""

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

from ..symbiosis.opportunities import find_opportunities, rolling_window


@login_required
@reads_from_replica
def opportunity_list(request: SignedInRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.is_officer and not scope.everything:
        raise PermissionDenied(_("Opportunities are for park and provincial officers."))
    parks = Park.objects.visible_to(request.user)
    opportunities = find_opportunities(parks=parks)
    return render(
        request,
        "reporting/opportunities.html",
        {
            "opportunities": opportunities,
            "window": rolling_window(),
            "several_parks": parks.count() > 1,
            "total_tonnes": sum((o.tonnes for o in opportunities), start=0),
        },
    )


urlpatterns = [path("opportunities/", opportunity_list, name="opportunity_list")]
