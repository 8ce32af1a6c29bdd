"""A URLconf with one endpoint that fails unexpectedly, for the 500 test."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from wasteparks.api.viewsets import ApiViewMixin


class Boom(ApiViewMixin, APIView):
    def get(self, request):
        raise RuntimeError("unexpected")

    def post(self, request):  # pragma: no cover
        return Response({})


urlpatterns = [
    path("api/v1/boom/", Boom.as_view()),
    path("api/v1/", include("wasteparks.api.urls")),
]
