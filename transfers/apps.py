"""The transfers app: the ledger, stock and transfer manifests (models, services, pages and API)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = _("Transfers")
