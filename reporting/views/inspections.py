"""Reporting pages: inspections."""

urlpatterns: list = []
