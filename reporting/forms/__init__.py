"""Reporting forms, one module a topic (the dashboard, warnings, inspections)."""
