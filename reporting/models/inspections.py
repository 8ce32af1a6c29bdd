"""Inspections: an officer's site visit or desk check at an enterprise, what was found, what must be
put right and by when. "Overdue" is not stored: it is an open inspection whose rectification deadline
has passed, so it never goes stale (InspectionQuerySet.with_state derives it in SQL)."""

from datetime import date

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, Park, User
from registry.tenancy import scope_of
from wasteparks.models import Timestamped

__all__ = ["Inspection", "InspectionKind", "InspectionQuerySet", "InspectionState", "InspectionStatus"]


class InspectionKind(models.TextChoices):
    SITE_VISIT = "site_visit", _("Site visit")
    DESK_CHECK = "desk_check", _("Desk check")


class InspectionStatus(models.TextChoices):
    """What is stored: open until an officer records the rectification."""

    OPEN = "open", _("Open")
    RECTIFIED = "rectified", _("Rectified")


class InspectionState(models.TextChoices):
    """What is shown: the stored status, with "overdue" derived from the deadline."""

    OPEN = "open", _("Open")
    OVERDUE = "overdue", _("Overdue")
    RECTIFIED = "rectified", _("Rectified")


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="park", enterprise="enterprise"))

    def with_state(self, today: date):
        """Annotate `state`: rectified, overdue (open and past its deadline) or open."""
        return self.annotate(
            state=Case(
                When(status=InspectionStatus.RECTIFIED, then=Value(InspectionState.RECTIFIED)),
                When(rectification_deadline__lt=today, then=Value(InspectionState.OVERDUE)),
                default=Value(InspectionState.OPEN),
                output_field=models.CharField(),
            )
        )


class Inspection(Timestamped):
    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="inspections", verbose_name=_("enterprise"))
    # The enterprise's park when inspected (derived, kept so tenancy reaches the row like any other).
    park = models.ForeignKey(Park, models.PROTECT, related_name="inspections", verbose_name=_("park"))
    officer = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("officer"))
    date = models.DateField(_("date"), db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=InspectionKind.choices)
    findings = models.TextField(_("findings"))
    required_rectification = models.TextField(_("required rectification"), blank=True)
    rectification_deadline = models.DateField(_("rectification deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.OPEN, db_index=True
    )
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("rectification recorded by")
    )
    rectification_note = models.TextField(_("rectification note"), blank=True)
    warnings = models.ManyToManyField(
        "reporting.Warning", blank=True, related_name="inspections", verbose_name=_("linked warnings")
    )

    objects = InspectionQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-date", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="open") & Q(rectified_at__isnull=True))
                | (Q(status="rectified") & Q(rectified_at__isnull=False)),
                name="inspection_rectified_fields_match_status",
            ),
            models.CheckConstraint(
                condition=Q(rectification_deadline__isnull=True) | Q(rectification_deadline__gte=models.F("date")),
                name="inspection_deadline_not_before_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.date} ({self.get_kind_display()})"
