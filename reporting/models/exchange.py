"""The by-product exchange: what generators offer and what receivers take (reporting/symbiosis/exchange.py).

A stream listing says "this enterprise produces about so many tonnes of this code a month, in this window";
an offer listing says "this receiver takes this code (or category) by this method, with so much room this
year". Listings are what enterprises choose to publish; what the platform knows (the ledger's recurring
generation, the licences' remaining capacity) is read live beside them, never copied into them.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, ManagementMethod, User, WasteCategory, WasteCode
from wasteparks.models import tonnes_field

__all__ = ["ListingStatus", "OfferListing", "StreamListing"]


class ListingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class StreamListing(models.Model):
    """A waste an enterprise generates and wants a receiver for."""

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="stream_listings", verbose_name=_("enterprise")
    )
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    monthly_t = tonnes_field(_("expected tonnes a month"), validators=[MinValueValidator(Decimal("0.0001"))])
    properties = models.CharField(_("properties"), max_length=500, blank=True)
    location = models.CharField(_("where it is collected"), max_length=200, blank=True)
    available_from = models.DateField(_("available from"))
    available_to = models.DateField(_("available until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ListingStatus.choices, default=ListingStatus.OPEN)
    published_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("published by"))
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stream listing")
        verbose_name_plural = _("stream listings")
        constraints = [
            models.CheckConstraint(condition=Q(monthly_t__gt=0), name="stream_listing_tonnes_positive"),
            models.CheckConstraint(
                condition=Q(available_to__isnull=True) | Q(available_to__gte=models.F("available_from")),
                name="stream_listing_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.waste_code_id} {self.monthly_t} t/month"


class OfferListing(models.Model):
    """A receiver's offer to take a code or a whole category by one method."""

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="offer_listings", verbose_name=_("receiver")
    )
    waste_code = models.ForeignKey(
        WasteCode, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("waste code")
    )
    category = models.ForeignKey(
        WasteCategory, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    method = models.ForeignKey(ManagementMethod, models.PROTECT, related_name="+", verbose_name=_("method"))
    capacity_t = tonnes_field(
        _("tonnes offered this year"), null=True, blank=True, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    gate_fee_yuan_per_t = models.DecimalField(
        _("gate fee (yuan/t)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ListingStatus.choices, default=ListingStatus.OPEN)
    published_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("published by"))
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("offer listing")
        verbose_name_plural = _("offer listings")
        constraints = [
            models.CheckConstraint(
                condition=(Q(waste_code__isnull=False) & Q(category__isnull=True))
                | (Q(waste_code__isnull=True) & Q(category__isnull=False)),
                name="offer_listing_names_code_or_category",
            ),
            models.CheckConstraint(
                condition=Q(capacity_t__isnull=True) | Q(capacity_t__gt=0), name="offer_listing_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(gate_fee_yuan_per_t__isnull=True) | Q(gate_fee_yuan_per_t__gte=0),
                name="offer_listing_fee_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.waste_code_id or self.category_id} {self.method_id}"
