"""The reporting app: monthly reports, utilization snapshots, early warnings, dashboards and their jobs."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        # The warning tasks connect their receiver of transfers' `manifest_changed` on import (transfers
        # must not import reporting); importing the tasks here makes the web process and the worker listen alike.
        from . import tasks  # noqa: F401
