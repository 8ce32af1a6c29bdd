"""Filings (备案) of cross-province transfers of general industrial solid waste for utilization.

Solid Waste Law (2020) art. 22: moving solid waste out of its province for storage or disposal needs the
approval of the province it leaves (a TransferApproval); moving it out for utilization needs only a filing
with that province's ecology and environment department. A filing names the consignor, the receiver and
the waste code; it caps no quantity, unlike an approval.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from wasteparks.models import Timestamped, tonnes_field

from .. import querysets
from .catalogue import WasteClass, WasteCode
from .organisations import Enterprise
from .people import User


class TransferFiling(Timestamped):
    number = models.CharField(_("filing number"), max_length=64, unique=True)
    consignor = models.ForeignKey(Enterprise, models.PROTECT, related_name="+", verbose_name=_("consignor"))
    receiver = models.ForeignKey(Enterprise, models.PROTECT, related_name="+", verbose_name=_("receiver"))
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    quantity_t = tonnes_field(_("quantity filed (t)"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    filed_with = models.CharField(_("filed with"), max_length=200)
    recorded_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("recorded by"))

    history = HistoricalRecords(excluded_fields=["sync_version"])
    objects = querysets.TransferFilingQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-valid_to"]
        verbose_name = _("cross-province transfer filing")
        verbose_name_plural = _("cross-province transfer filings")
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="filing_ends_after_it_starts"),
            models.CheckConstraint(
                condition=Q(quantity_t__isnull=True) | Q(quantity_t__gt=0), name="filing_quantity_positive"
            ),
            models.CheckConstraint(condition=~Q(consignor=F("receiver")), name="filing_between_two_enterprises"),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        problems = {}
        if self.consignor_id and self.consignor_id == self.receiver_id:
            problems["receiver"] = _("The receiver is another enterprise than the consignor.")
        if self.waste_code_id and self.waste_code.waste_class != WasteClass.GENERAL:
            problems["waste_code"] = _(
                "A filing is for general industrial solid waste; hazardous waste needs an approval."
            )
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            problems["valid_to"] = _("A filing cannot end before it starts.")
        if problems:
            raise ValidationError(problems)
