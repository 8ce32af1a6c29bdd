"""The registry app: who and what (parks, enterprises, facilities, permits, people, API clients, the catalogue)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        # The login audit's receivers (user_logged_in, user_login_failed, user_logged_out).
        from . import signin  # noqa: F401
