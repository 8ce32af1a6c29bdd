"""Workflows of the reporting app, one module a topic: reports, utilization, warnings."""
