"""Annual hazardous waste management plans (危险废物管理计划): what an enterprise plans to generate, store,
transfer, utilize and dispose of per waste code in a year, filed by 31 March of that year and reviewed by
the park's officers as reports are (REPORT_FLOW: submit, accept, return)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, User, WasteCode
from registry.tenancy import scope_of
from wasteparks.models import Timestamped, tonnes_field
from wasteparks.periods import Period

from ..rules.reports import EDITABLE_STATUSES, ReportAction, ReportStatus

__all__ = ["PLAN_FIGURES", "ManagementPlan", "ManagementPlanEvent", "ManagementPlanLine"]

# The figures a plan line carries, in order (each a `<name>_t` column).
PLAN_FIGURES = ("generation", "storage", "transfer", "utilization", "disposal")
# The plan of a year is filed by 31 March of that year (HJ 1259-2022; the day the annual report is due too).
PLAN_DEADLINE_MONTH, PLAN_DEADLINE_DAY = 3, 31


class ManagementPlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The enterprise's own members, and the officers of its park or province."""
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def standing(self):
        """Plans filed and not sent back: what the enterprise committed to (submitted or accepted)."""
        return self.filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED])


class ManagementPlan(Timestamped):
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="management_plans", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    is_late = models.BooleanField(_("filed late"), default=False)
    submitted_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("created by"))

    objects = ManagementPlanQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-year", "enterprise_id"]
        verbose_name = _("management plan")
        verbose_name_plural = _("management plans")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year"],
                name="one_management_plan_per_enterprise_and_year",
                violation_error_message=_("This enterprise already has a management plan for this year."),
            ),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="plan_year_plausible"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.year}"

    @property
    def period(self) -> Period:
        return Period.year_of(self.year)

    @property
    def deadline(self) -> date:
        return Period.year_of(self.year - 1).deadline(PLAN_DEADLINE_DAY, months_after=PLAN_DEADLINE_MONTH)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


def _line_constraints() -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(**{f"{name}_t__gte": 0}), name=f"plan_line_{name}_not_negative")
        for name in PLAN_FIGURES
    ]


class ManagementPlanLine(models.Model):
    plan = models.ForeignKey(ManagementPlan, models.CASCADE, related_name="lines", verbose_name=_("plan"))
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    generation_t = tonnes_field(_("planned generation (t)"), default=0)
    storage_t = tonnes_field(_("planned storage at year end (t)"), default=0)
    transfer_t = tonnes_field(_("planned transfer out (t)"), default=0)
    utilization_t = tonnes_field(_("planned utilization (t)"), default=0)
    disposal_t = tonnes_field(_("planned disposal (t)"), default=0)

    class Meta:
        ordering = ["plan_id", "waste_code__code"]
        verbose_name = _("management plan line")
        verbose_name_plural = _("management plan lines")
        constraints = [
            models.UniqueConstraint(fields=["plan", "waste_code"], name="plan_line_one_per_code"),
            *_line_constraints(),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.waste_code_id}"


class ManagementPlanEvent(models.Model):
    """The plan's status log: who moved it, from what to what, with which comment. Insert only."""

    plan = models.ForeignKey(ManagementPlan, models.PROTECT, related_name="events", verbose_name=_("plan"))
    action = models.CharField(_("action"), max_length=16, choices=ReportAction.choices)
    from_status = models.CharField(_("from status"), max_length=10, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=10, choices=ReportStatus.choices)
    actor = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("actor"))
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("management plan event")
        verbose_name_plural = _("management plan events")

    def __str__(self) -> str:
        return f"{self.plan} {self.from_status} → {self.to_status} ({self.action})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The plan's history cannot be changed."))
        super().save(*args, **kwargs)
