"""Reporting pages: dashboard."""

urlpatterns: list = []
