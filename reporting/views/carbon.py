"""The carbon figures of each enterprise of the dashboard's park or province for one month, as a spreadsheet
(reporting/carbon/figures.py: the same figures as the dashboard and the API, enterprise by enterprise)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _

from registry.models import Enterprise
from wasteparks.db_router import reads_from_replica
from wasteparks.exports import csv_response, xlsx_response
from wasteparks.pages import SignedInRequest
from wasteparks.parsing import ascii_whole_number
from wasteparks.periods import Period

from ..carbon.figures import carbon_by_enterprise
from .dashboard import supervised_parks


@login_required
@reads_from_replica
def carbon_export(request: SignedInRequest) -> HttpResponse:
    """?park=<id> or ?province=<code>, ?period=YYYY-MM (default: the last ended month), ?export=csv|xlsx."""
    parks = supervised_parks(request)
    if "park" in request.GET:
        park = ascii_whole_number(request.GET["park"])
        parks = parks.filter(pk=park) if park is not None else parks.none()
    elif province := request.GET.get("province"):
        parks = parks.filter(division__province_code=province)
    if not parks.exists():
        raise Http404
    raw_period = request.GET.get("period")
    period = Period.parse_month(raw_period) if raw_period else Period.containing().previous()
    if period is None:
        raise Http404
    enterprises = list(Enterprise.objects.filter(park__in=parks).select_related("park").order_by("park__name", "name"))
    figures = carbon_by_enterprise(enterprise_ids=[e.pk for e in enterprises], period=period)
    header = [
        _("Credit code"),
        _("Enterprise"),
        _("Park"),
        _("Month"),
        _("Utilized by routes with a factor (t)"),
        _("CO2e avoided (t)"),
        _("Utilized without a published factor: not estimated (t)"),
        _("Carried (t·km)"),
        _("CO2e emitted by transport (t)"),
        _("Carried without positions or factor: not estimated (t)"),
        _("Factor edition"),
    ]
    rows = []
    for enterprise in enterprises:
        avoided, carried = figures[enterprise.pk].avoided, figures[enterprise.pk].transport
        rows.append(
            [
                enterprise.credit_code,
                enterprise.name,
                enterprise.park.name,
                str(period),
                avoided.covered_t,
                # Empty, not 0, where nothing could be estimated.
                avoided.avoided_t_co2e,
                avoided.not_estimated_t,
                carried.tonne_km,
                carried.emitted_t_co2e,
                carried.not_estimated_t,
                avoided.edition or "",
            ]
        )
    name = _("CO2e by enterprise %(month)s") % {"month": period}
    if request.GET.get("export") == "csv":
        return csv_response(f"{name}.csv", header, rows)
    return xlsx_response(f"{name}.xlsx", name, header, rows)


urlpatterns = [path("carbon/export/", carbon_export, name="carbon_export")]
