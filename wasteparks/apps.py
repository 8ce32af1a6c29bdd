"""The project package as an app: it owns the outbox table and the tamper-evidence migration."""

from django.apps import AppConfig


class WasteparksConfig(AppConfig):
    name = "wasteparks"
    verbose_name = "wasteparks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the relay and heartbeat tasks (beat runs them every 30 s), the inbox's mail, the
        # background exports' tasks and the daily partitions; autodiscovery only looks at tasks.py.
        # Registers the `any_of` lookup on foreign keys (registry/tenancy.py uses it).
        from . import background_exports, heartbeat, inbox, lookups, outbox, partitions, webhooks  # noqa: F401
