"""Mounted at /api/v1/ with the namespace "api"."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from reporting.api.carbon import CarbonView
from reporting.api.opportunities import OpportunityView
from reporting.api.telemetry import ReadingIngestView

from .docs import LocalRedocView
from .errors import api_not_found
from .router import build_router
from .throttling import AnonymousRateThrottle, ClientRateThrottle

app_name = "api"

_docs = {"permission_classes": [AllowAny], "throttle_classes": [ClientRateThrottle, AnonymousRateThrottle]}

urlpatterns = [
    *build_router().urls,
    # Not a collection, so not on the router; the name keeps the router's "-list" form.
    path("telemetry/readings/", ReadingIngestView.as_view(), name="telemetry-readings-list"),
    # Figures of a subject (an enterprise, a park or a province), not collections of rows.
    path("carbon/<str:pk>/", CarbonView.as_view(), name="carbon-detail"),
    path("opportunities/<str:pk>/", OpportunityView.as_view(), name="opportunities-detail"),
    path("schema/", SpectacularAPIView.as_view(**_docs), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", **_docs), name="swagger-ui"),
    path("redoc/", LocalRedocView.as_view(url_name="api:schema", **_docs), name="redoc"),
    re_path(r"^.*$", api_not_found),
]
