"""Swagger UI and Redoc, served with local assets only (parks run on closed networks: no CDN)."""

from django.http import HttpResponse
from django.template import engines
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

# drf-spectacular's Redoc page links Google Fonts; keep everything but those links.
_REDOC_PAGE = """{% extends "drf_spectacular/redoc.html" %}
{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}"""


class LocalRedocView(SpectacularRedocView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        context = {
            "title": self.title,
            "redoc_standalone": self._redoc_standalone(),
            "schema_url": self._get_schema_url(request),
            "settings": self._dump({}),
        }
        page = engines["django"].from_string(_REDOC_PAGE).render(context, request)
        return HttpResponse(page, content_type="text/html; charset=utf-8")
