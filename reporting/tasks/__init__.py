"""Celery tasks of the reporting app; importing the topic modules registers them for autodiscovery."""

from . import audit, imports, reports, telemetry, utilization, warnings  # noqa: F401
