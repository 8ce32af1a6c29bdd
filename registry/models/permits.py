"""Registry models: operating licences and their lines, transport and medical permits, transfer approvals."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from wasteparks.models import Timestamped, tonnes_field, touch

from .. import querysets, rules
from .catalogue import ManagementMethod, WasteCategory, WasteCode
from .organisations import Enterprise
from .people import User

ZERO = Decimal("0")

# --- Permits and approvals ------------------------------------------------------------------------


class PermitKind(models.TextChoices):
    HAZARDOUS_OPERATING = "hw_operating", _("Hazardous waste operating licence")
    ROAD_TRANSPORT = "road_transport", _("Road transport permit (dangerous goods)")
    MEDICAL_DISPOSAL = "medical_disposal", _("Medical waste disposal permit")


class Permit(Timestamped):
    sync_parents = ("enterprise",)
    # Set before a save for django-simple-history: who acted, and why.
    _history_user: "User | None"
    _change_reason: str

    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="permits", verbose_name=_("enterprise"))
    kind = models.CharField(_("kind"), max_length=16, choices=PermitKind.choices)
    number = models.CharField(_("number"), max_length=64)
    issuer = models.CharField(_("issued by"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    covers_collection = models.BooleanField(_("collection"), default=False)
    covers_storage = models.BooleanField(_("storage"), default=False)
    covers_utilization = models.BooleanField(_("utilization"), default=False)
    covers_disposal = models.BooleanField(_("disposal"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Rows entered before the workflow (and in the Django admin) are valid licences.
    status = models.CharField(
        _("status"), max_length=10, choices=rules.LicenceStatus.choices, default=rules.LicenceStatus.VALID
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    decided_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("verified or decided by")
    )
    decided_at = models.DateTimeField(_("verified or decided at"), null=True, blank=True)
    renews = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="renewal", verbose_name=_("renews")
    )

    history = HistoricalRecords(excluded_fields=["sync_version"])
    objects = querysets.PermitQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["valid_to", "number"]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")),
                name="permit_ends_after_it_starts",
                violation_error_message=_("A permit cannot end before it starts."),
            ),
            # An application has no number until the licence is granted (nor ever, if refused).
            models.UniqueConstraint(
                fields=["kind", "number"], condition=~Q(number=""), name="permit_number_unique_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(status__in=rules.UNNUMBERED) | ~Q(number=""), name="permit_numbered_unless_applied"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or _('(application)')}"

    @property
    def is_collection_licence(self) -> bool:
        """A hazardous waste operating licence for collection alone (危险废物收集经营许可证, art. 3 of the
        Measures for the Administration of Hazardous Waste Operating Licences); any other operating licence
        is a comprehensive one (收集、贮存、处置综合经营许可证)."""
        return (
            self.kind == PermitKind.HAZARDOUS_OPERATING
            and self.covers_collection
            and not (self.covers_storage or self.covers_utilization or self.covers_disposal)
        )

    @property
    def term_limit_years(self) -> int | None:
        """The longest term a permit of this kind may be issued for, or None where no limit is recorded.

        Art. 12 of the Measures: a comprehensive operating licence is valid for 5 years, a collection
        licence for 3. A medical waste disposal permit is the operating licence of a centralized medical
        waste disposal unit (art. 7), a comprehensive one. Road transport permits fall under other rules."""
        if self.kind == PermitKind.ROAD_TRANSPORT:
            return None
        return rules.COLLECTION_LICENCE_YEARS if self.is_collection_licence else rules.COMPREHENSIVE_LICENCE_YEARS

    def clean(self) -> None:
        if not (self.valid_from and self.valid_to):
            return
        if self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("A permit cannot end before it starts.")})
        years = self.term_limit_years
        if years is not None:
            problem = rules.licence_term_problem(years=years, valid_from=self.valid_from, valid_to=self.valid_to)
            if problem:
                raise ValidationError({"valid_to": problem})


class PermitLine(models.Model):
    """One line of a licence: a waste code or a whole category, a method and an annual capacity."""

    permit = models.ForeignKey(Permit, models.CASCADE, related_name="lines", verbose_name=_("permit"))
    waste_code = models.ForeignKey(
        WasteCode, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("waste code")
    )
    category = models.ForeignKey(
        WasteCategory, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    method = models.ForeignKey(ManagementMethod, models.PROTECT, related_name="+", verbose_name=_("method"))
    annual_capacity_t = tonnes_field(_("annual capacity (t)"), validators=[MinValueValidator(ZERO)])

    objects = querysets.PermitLineQuerySet.as_manager()

    history = HistoricalRecords()
    _history_user: "User | None"

    class Meta:
        verbose_name = _("permit line")
        verbose_name_plural = _("permit lines")
        constraints = [
            models.CheckConstraint(condition=Q(annual_capacity_t__gte=0), name="permit_line_capacity_not_negative"),
            models.CheckConstraint(
                condition=(Q(waste_code__isnull=False) & Q(category__isnull=True))
                | (Q(waste_code__isnull=True) & Q(category__isnull=False)),
                name="permit_line_names_code_or_category",
                violation_error_message=_("A permit line names either a waste code or a category, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.waste_code or self.category} · {self.method.code} · {self.annual_capacity_t} t/yr"

    # A line is part of its permit: changing it moves the permit (and the enterprise nesting it) forward
    # in the sync order.
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._touch_permit()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._touch_permit()
        return result

    def _touch_permit(self) -> None:
        touch(Permit, self.permit_id)
        Permit.objects.only("enterprise_id").get(pk=self.permit_id).touch_sync_parents()

    def clean(self) -> None:
        if bool(self.waste_code_id) == bool(self.category_id):
            raise ValidationError(_("A permit line names either a waste code or a category, not both."))


class TransferApproval(Timestamped):
    """Approval of a cross-province transfer (Hazardous Waste Transfer Measures 2022): 12 months at most."""

    _history_user: "User | None"
    _change_reason: str

    number = models.CharField(_("number"), max_length=64, blank=True)
    consignor = models.ForeignKey(Enterprise, models.PROTECT, related_name="+", verbose_name=_("consignor"))
    receiver = models.ForeignKey(Enterprise, models.PROTECT, related_name="+", verbose_name=_("receiver"))
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    approved_quantity_t = tonnes_field(_("approved quantity (t)"), validators=[MinValueValidator(Decimal("0.0001"))])
    quantity_used_t = tonnes_field(_("quantity used (t)"), default=ZERO, validators=[MinValueValidator(ZERO)])
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    issuer = models.CharField(_("approved by"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=rules.LicenceStatus.choices, default=rules.LicenceStatus.VALID
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    decided_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("verified or decided by")
    )
    decided_at = models.DateTimeField(_("verified or decided at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["sync_version"])
    objects = querysets.TransferApprovalQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-valid_to"]
        verbose_name = _("cross-province transfer approval")
        verbose_name_plural = _("cross-province transfer approvals")
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="approval_ends_after_it_starts"),
            models.CheckConstraint(condition=Q(approved_quantity_t__gt=0), name="approval_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_used_t__gte=0) & Q(quantity_used_t__lte=F("approved_quantity_t")),
                name="approval_used_within_approved",
            ),
            # An application has no number until the approval is granted (nor ever, if refused).
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="approval_number_unique"),
            models.CheckConstraint(
                condition=Q(status__in=rules.UNNUMBERED) | ~Q(number=""), name="approval_numbered_unless_applied"
            ),
        ]

    def __str__(self) -> str:
        return self.number or _("Application #%(id)s") % {"id": self.pk}

    def clean(self) -> None:
        if not self.number and self.status not in rules.UNNUMBERED:
            raise ValidationError({"number": _("An approval granted or recorded has its number.")})
        if self.consignor_id and self.consignor_id == self.receiver_id:
            raise ValidationError({"receiver": _("The receiver is another enterprise than the consignor.")})
        if not (self.valid_from and self.valid_to):
            return
        if self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("An approval cannot end before it starts.")})
        if self.valid_to >= rules.years_after(self.valid_from, 1):
            raise ValidationError({"valid_to": _("A transfer approval is valid for 12 months at most.")})

    @property
    def remaining_t(self) -> Decimal:
        return self.approved_quantity_t - self.quantity_used_t
