"""Reporting pages, one module a topic; each module lists its own `urlpatterns`."""
