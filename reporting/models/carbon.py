"""Carbon factors: the reference table of CO2e factors, loaded in editions (reporting/reference/carbon_factors.csv).

A factor is data read from a published source; each row records where it was read. A new edition never rewrites
an old one, so a figure that names the edition it used can always be recomputed to the same number.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CarbonFactor", "CarbonFactorEdition", "FactorKind"]


class FactorKind(models.TextChoices):
    AVOIDED = "avoided", _("Avoided by utilization")
    TRANSPORT = "transport", _("Emitted by transport")


class CarbonFactorEdition(models.Model):
    """One load of the factor table; the newest is the current one."""

    label = models.CharField(_("edition"), max_length=40, unique=True)
    loaded_from = models.CharField(_("loaded from"), max_length=300, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("carbon factor edition")
        verbose_name_plural = _("carbon factor editions")

    def __str__(self) -> str:
        return self.label


class CarbonFactor(models.Model):
    """A route key is `<waste code or category>:<management method code>` for avoided emissions and
    `transport:<mode>` for transport; the factor is t CO2e per t (avoided) or per t·km (transport)."""

    edition = models.ForeignKey(CarbonFactorEdition, models.CASCADE, related_name="factors", verbose_name=_("edition"))
    route = models.CharField(_("route"), max_length=40)
    kind = models.CharField(_("kind"), max_length=12, choices=FactorKind.choices)
    replaces = models.CharField(_("replaces"), max_length=200, blank=True)
    factor = models.DecimalField(_("factor"), max_digits=15, decimal_places=9)
    unit = models.CharField(_("unit"), max_length=30)
    source = models.CharField(_("source"), max_length=500)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["edition", "route"]
        verbose_name = _("carbon factor")
        verbose_name_plural = _("carbon factors")
        constraints = [
            models.UniqueConstraint(fields=["edition", "route"], name="carbon_factor_route_once_per_edition"),
            models.CheckConstraint(condition=models.Q(factor__gt=0), name="carbon_factor_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.factor} {self.unit}"
