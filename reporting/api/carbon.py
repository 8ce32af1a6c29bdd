"""Carbon: api. `GET /api/v1/carbon/<id>/?period=YYYY-MM&scope=enterprise|park|province`
(id: an enterprise or park id, or a two-digit province code):
CO2e avoided by utilization in the month, by the current factor edition (docs/carbon.md). A subject the caller
may not read is 404, as for any other record."""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.models import Enterprise, Park
from registry.tenancy import scope_of
from wasteparks.parsing import ascii_whole_number
from wasteparks.periods import Period

from ..carbon.factors import current_edition
from ..carbon.figures import avoided, transport

SCOPES = ("enterprise", "park", "province")


class CarbonQuery(serializers.Serializer):
    # The current month of an enterprise unless asked otherwise.
    period = serializers.CharField(required=False)
    scope = serializers.ChoiceField(choices=SCOPES, default="enterprise")

    def validate_period(self, value: str) -> Period:
        period = Period.parse_month(value)
        if period is None:
            raise serializers.ValidationError(_("Use a month as YYYY-MM, e.g. 2025-03."))
        return period


def enterprise_ids_of(*, user, scope: str, key: str) -> list[int]:
    """The enterprises whose figures make up the subject; Http404 when the user may not read the subject."""
    if scope == "enterprise":
        enterprise = (
            Enterprise.objects.visible_to(user).filter(pk=number).first()
            if (number := ascii_whole_number(key)) is not None
            else None
        )
        if enterprise is None:
            raise Http404
        return [enterprise.pk]
    tenancy = scope_of(user)
    if scope == "park":
        park = (
            Park.objects.select_related("division").filter(pk=number).first()
            if (number := ascii_whole_number(key)) is not None
            else None
        )
        readable = park is not None and (
            tenancy.everything or park.pk in tenancy.park_ids or park.division.province_code in tenancy.province_codes
        )
        if not readable:
            raise Http404
        return list(Enterprise.objects.filter(park=park).values_list("pk", flat=True))
    if not (tenancy.everything or key in tenancy.province_codes):
        raise Http404
    return list(Enterprise.objects.filter(park__division__province_code=key).values_list("pk", flat=True))


class CarbonFigureSerializer(serializers.Serializer):
    """The figures of one subject and month (tonnes and t CO2e; null: not estimated)."""

    period = serializers.CharField()
    scope = serializers.ChoiceField(choices=SCOPES)
    id = serializers.CharField()
    edition = serializers.CharField(allow_null=True)
    avoided_t_co2e = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    covered_t = serializers.DecimalField(max_digits=20, decimal_places=4)
    not_estimated_t = serializers.DecimalField(max_digits=20, decimal_places=4)
    not_estimated_routes = serializers.ListField(child=serializers.CharField())
    transport_t_co2e = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    transport_tonne_km = serializers.DecimalField(max_digits=20, decimal_places=3)
    transport_not_estimated_t = serializers.DecimalField(max_digits=20, decimal_places=4)


class CarbonView(APIView):
    """CO2e avoided by utilization for one enterprise, park or province and month. A plain view mounted by
    wasteparks/api/urls.py, not a router collection: it serves figures, not rows of a model."""

    @extend_schema(parameters=[CarbonQuery], responses=CarbonFigureSerializer)
    def get(self, request, pk: str):
        query = CarbonQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        data.setdefault("period", Period.containing(timezone.now()))
        ids = enterprise_ids_of(user=request.user, scope=data["scope"], key=pk)
        edition = current_edition()
        figure = avoided(enterprise_ids=ids, period=data["period"], edition=edition)
        carried = transport(enterprise_ids=ids, period=data["period"], edition=edition)
        return Response(
            {
                "period": str(data["period"]),
                "scope": data["scope"],
                "id": pk,
                "edition": figure.edition,
                "avoided_t_co2e": figure.avoided_t_co2e,
                "covered_t": figure.covered_t,
                "not_estimated_t": figure.not_estimated_t,
                "not_estimated_routes": figure.not_estimated_routes,
                "transport_t_co2e": carried.emitted_t_co2e,
                "transport_tonne_km": carried.tonne_km,
                "transport_not_estimated_t": carried.not_estimated_t,
            }
        )
