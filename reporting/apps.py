from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        # The task modules connect their signal receivers (manifest changed, report accepted) on import;
        # importing them here makes the web process and the worker listen alike.
        from . import tasks  # noqa: F401
