"""Opportunities: api. `GET /api/v1/opportunities/<id>/?scope=park|province` (id: a park id or a
two-digit province code): the disposed streams of the park, or of every park of the province, that a
licensed utilizer could take, ranked by the rise of the park's rolling utilization rate
(reporting.symbiosis.opportunities). A park or province the caller may not read is 404."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.models import Park
from registry.tenancy import scope_of
from wasteparks.parsing import ascii_whole_number

from ..symbiosis.opportunities import find_opportunities, rolling_window


def _text(value) -> str | None:
    return None if value is None else f"{value:.4f}"


class UtilizerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    distance_km = serializers.FloatField(allow_null=True)


class ConsignorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class OpportunitySerializer(serializers.Serializer):
    park = serializers.IntegerField()
    consignor = ConsignorSerializer()
    waste_code = serializers.CharField()
    tonnes = serializers.CharField()
    rate_now_pct = serializers.CharField(allow_null=True)
    rate_if_utilized_pct = serializers.CharField(allow_null=True)
    gain_points = serializers.CharField(allow_null=True)
    utilizers = UtilizerSerializer(many=True)


class OpportunitiesSerializer(serializers.Serializer):
    window = serializers.CharField()
    results = OpportunitySerializer(many=True)


class OpportunityView(APIView):
    """Utilization opportunities of one park or one province."""

    @extend_schema(
        parameters=[OpenApiParameter("scope", str, enum=["park", "province"], description="Default park.")],
        responses=OpportunitiesSerializer,
    )
    def get(self, request, pk: str):
        # Streams of every enterprise of a park: for its officers and the province, never for one
        # enterprise's staff or client (as the page).
        tenancy = scope_of(request.user)
        if not (tenancy.everything or tenancy.park_ids or tenancy.province_codes):
            raise PermissionDenied
        scope = request.query_params.get("scope", "park")
        parks = Park.objects.visible_to(request.user)
        if scope == "park":
            parks = parks.filter(pk=number) if (number := ascii_whole_number(pk)) is not None else parks.none()
        elif scope == "province":
            parks = parks.in_province(pk)
        else:
            raise ValidationError({"scope": [_("Use park or province.")]})
        if not parks.exists():
            raise Http404
        opportunities = find_opportunities(parks=parks)
        return Response(
            {
                "window": str(rolling_window()),
                "results": [
                    {
                        "park": o.park.pk,
                        "consignor": {"id": o.consignor.pk, "name": o.consignor.name},
                        "waste_code": o.waste_code.code,
                        "tonnes": _text(o.tonnes),
                        "rate_now_pct": _text(o.rate_now_pct),
                        "rate_if_utilized_pct": _text(o.rate_if_utilized_pct),
                        "gain_points": _text(o.gain_points),
                        "utilizers": [
                            {
                                "id": c.option.enterprise.pk,
                                "name": c.option.enterprise.name,
                                "distance_km": c.distance_km,
                            }
                            for c in o.candidates
                        ],
                    }
                    for o in opportunities
                ],
            }
        )
