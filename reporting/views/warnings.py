"""Reporting pages: warnings."""

urlpatterns: list = []
