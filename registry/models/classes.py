"""The history of an enterprise's HJ 1259-2022 management class: each derivation from the ledger, each
officer's override and each lifting of one, with who, when, why and the figures the class rested on."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wasteparks.models import tonnes_field

from ..rules import ManagementClass
from .organisations import Enterprise


class ClassChangeSource(models.TextChoices):
    DERIVED = "derived", _("Derived from the ledger, installations and licences")
    OVERRIDE = "override", _("Set by an officer")
    LIFTED = "lifted", _("Officer's setting lifted")


class ManagementClassChange(models.Model):
    """One step of an enterprise's class history. Insert only.

    `to_class` is the class in force after the step; `derived_class` what the HJ 1259-2022 rule gave on
    the latest derivation (under an override the two can differ: the officer's class stays in force until
    an officer lifts it)."""

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="class_changes", verbose_name=_("enterprise")
    )
    source = models.CharField(_("source"), max_length=8, choices=ClassChangeSource.choices)
    from_class = models.CharField(_("class before"), max_length=12, choices=ManagementClass.choices, blank=True)
    to_class = models.CharField(_("class in force"), max_length=12, choices=ManagementClass.choices)
    derived_class = models.CharField(_("derived class"), max_length=12, choices=ManagementClass.choices)
    # The grounds of a derivation (null on an officer's step): the largest annual hazardous quantity of
    # the years counted, those years, and the installation and licence criteria.
    largest_annual_t = tonnes_field(_("largest annual hazardous quantity (t)"), null=True, blank=True)
    first_year = models.PositiveSmallIntegerField(_("from year"), null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    operates_own_treatment = models.BooleanField(_("own utilization/disposal installation"), null=True)
    holds_operating_licence = models.BooleanField(_("holds an operating licence"), null=True)
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        "registry.User", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("management class change")
        verbose_name_plural = _("management class changes")
        constraints = [
            # An officer's step always names its officer and says why; a derivation records its grounds.
            models.CheckConstraint(
                condition=Q(source="derived") | (Q(actor__isnull=False) & ~Q(reason="")),
                name="class_change_officer_step_has_actor_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(source="derived") | Q(largest_annual_t__isnull=False),
                name="class_change_derivation_has_grounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.from_class or '-'} → {self.to_class} ({self.source})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The class history cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The class history cannot be changed."))
