"""Reporting pages: reports."""

urlpatterns: list = []
