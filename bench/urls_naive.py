"""The common way to build a manifest feed, for comparison in B1: nested ModelSerializers and
page-number pagination (COUNT plus OFFSET on every page), with the usual select/prefetch_related.

Served only by the benchmark's gunicorn (bench.settings_naive) at /bench/naive/manifests/; it reads
with the same bearer token and the same authentication and permission classes as the real API.
"""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from transfers.models import Manifest, ManifestEvent, ManifestLine


class NaiveLineSerializer(serializers.ModelSerializer):
    waste_code = serializers.SlugRelatedField(slug_field="code", read_only=True)
    treatment_method = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = ManifestLine
        exclude = ["id", "manifest"]


class NaiveEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ManifestEvent
        exclude = ["id", "manifest"]


class NaiveManifestSerializer(serializers.ModelSerializer):
    lines = NaiveLineSerializer(many=True, read_only=True)
    signatures = NaiveEventSerializer(source="events", many=True, read_only=True)
    consignor_name = serializers.CharField(source="consignor.name", read_only=True)
    carrier_name = serializers.CharField(source="carrier.name", read_only=True)
    receiver_name = serializers.CharField(source="receiver.name", read_only=True)

    class Meta:
        model = Manifest
        exclude = ["created_by"]


class NaivePagination(PageNumberPagination):
    page_size = 1000
    page_size_query_param = "page_size"
    max_page_size = 1000


class NaiveManifestList(generics.ListAPIView):
    queryset = (
        Manifest.objects.select_related("consignor", "carrier", "receiver")
        .prefetch_related("lines__waste_code", "lines__treatment_method", "events__actor")
        .order_by("id")
    )
    serializer_class = NaiveManifestSerializer
    pagination_class = NaivePagination
    filter_backends = []


urlpatterns = [
    path("bench/naive/manifests/", NaiveManifestList.as_view()),
    path("", include("wasteparks.urls")),
]
