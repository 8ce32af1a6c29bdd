"""The transfers app: the ledger, stock and transfer manifests (models, services, pages and API)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = _("Transfers")

    def ready(self) -> None:
        # A verified registration gets its management class from the ledger (registry cannot read it).
        from .services import classes

        classes.connect()

        # Ledger entries and manifest signatures join the audit hash chain in the transaction that writes them.
        from wasteparks import audit

        from .models import LedgerEntry, ManifestEvent

        audit.track(
            LedgerEntry,
            park="enterprise__park",
            fields=[
                "enterprise_id", "facility_id", "waste_code_id", "stage", "quantity_t", "batch_code", "occurred_at",
                "recorded_by_id", "manifest_line_id", "method_id", "note", "source", "reverses_id",
            ],
        )  # fmt: skip
        audit.track(
            ManifestEvent,
            park="acting_enterprise__park",  # the park of the party that signed
            fields=[
                "manifest_id", "action", "from_status", "to_status", "actor_id", "acting_enterprise_id", "party",
                "role", "comment", "source", "at",
            ],
        )  # fmt: skip
