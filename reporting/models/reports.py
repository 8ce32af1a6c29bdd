"""Monthly waste reports filed by enterprises: models.

A report is one row per (enterprise, period). Its figures live in revisions: revision 1 is opened when
the report is created; returning a submitted report freezes that revision (with the officer's comment)
and opens the next one as a copy for the enterprise to correct. Every revision and its lines are kept;
the report points at its current revision. Lines are typed Decimal columns (they are aggregated), each
figure beside the value the ledger prefilled.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from registry.models import Enterprise, User, WasteCode
from registry.rules import ReportKind, filing_deadline
from wasteparks.models import Timestamped, tonnes_field
from wasteparks.periods import Period

from ..querysets.reports import MonthlyReportLineQuerySet, MonthlyReportQuerySet, ReportReminderQuerySet
from ..rules.reports import EDITABLE_STATUSES, FIGURES, ReportAction, ReportStatus, column, prefill_column

__all__ = [
    "ReportStatus",
    "ReportAction",
    "MonthlyReport",
    "MonthlyReportRevision",
    "MonthlyReportLine",
    "MonthlyReportEvent",
    "ReminderKind",
    "ReportReminder",
]


class MonthlyReport(Timestamped):
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="monthly_reports", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # The first month of the period: a quarter's first month, January for an annual report.
    month = models.PositiveSmallIntegerField(_("month"))
    # Monthly, quarterly or annual (the months it covers): which one an enterprise owes follows its
    # management class (Enterprise.objects.must_file).
    report_kind = models.PositiveSmallIntegerField(
        _("report kind"), choices=ReportKind.choices, default=ReportKind.MONTHLY
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    # Null only inside create_monthly_report's transaction: the report row must exist before its first
    # revision can point at it, and the same transaction then sets it. `revision` reads it, never None.
    current_revision = models.OneToOneField(
        "reporting.MonthlyReportRevision",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current revision"),
    )
    # The first submission decides lateness; resubmissions after a return do not change it.
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    is_late = models.BooleanField(_("filed late"), default=False, db_index=True)
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

    objects = MonthlyReportQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-year", "-month", "enterprise_id"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "month", "report_kind"],
                name="one_report_per_enterprise_and_period",
                violation_error_message=_("This enterprise already has a report for this period."),
            ),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="report_month_1_to_12"),
            # A quarter starts in January, April, July or October; a year in January.
            models.CheckConstraint(
                condition=Q(report_kind=ReportKind.MONTHLY)
                | Q(report_kind=ReportKind.QUARTERLY, month__in=[1, 4, 7, 10])
                | Q(report_kind=ReportKind.ANNUAL, month=1),
                name="report_period_matches_kind",
            ),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="report_year_plausible"),
            models.CheckConstraint(
                condition=Q(status__in=[ReportStatus.DRAFT]) | Q(first_submitted_at__isnull=False),
                name="report_filed_has_first_submission",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.period}"

    @property
    def period(self) -> Period:
        return Period(self.year, self.month, self.report_kind)

    @property
    def deadline(self) -> date:
        return filing_deadline(self.period)

    @property
    def revision(self) -> "MonthlyReportRevision":
        """The current revision, for a saved report (which always has one)."""
        revision = self.current_revision
        # The transaction that creates the report sets it (see the field), so only a report still being
        # created can lack it, and nothing reads one then.
        assert revision is not None, f"monthly report {self.pk} has no current revision"
        return revision

    @property
    def revision_number(self) -> int | None:
        revision = self.current_revision
        return revision.number if revision is not None else None

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class RevisionOutcome(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("report status", "Accepted")
    RETURNED = "returned", _("Returned")


class MonthlyReportRevision(models.Model):
    """One version of a report's figures: a draft being edited, or a frozen submitted version."""

    report = models.ForeignKey(MonthlyReport, models.CASCADE, related_name="revisions", verbose_name=_("report"))
    number = models.PositiveSmallIntegerField(_("revision"))
    submitted_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    is_late = models.BooleanField(_("submitted after the deadline"), default=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=RevisionOutcome.choices, blank=True)
    reviewed_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["report_id", "number"]
        verbose_name = _("monthly report revision")
        verbose_name_plural = _("monthly report revisions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="report_revision_number_positive"),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(submitted_at__isnull=False), name="report_revision_reviewed_was_submitted"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} r{self.number}"


def _figure_constraints() -> list[models.BaseConstraint]:
    constraints: list[models.BaseConstraint] = []
    for name in FIGURES:
        for col in (column(name), prefill_column(name)):
            constraints.append(
                models.CheckConstraint(condition=Q(**{f"{col}__gte": 0}), name=f"report_line_{col}_not_negative")
            )
    # A figure that differs from what the ledger gave carries its reason, always.
    same_as_prefill = Q()
    for name in FIGURES:
        same_as_prefill &= Q(**{column(name): F(prefill_column(name))})
    constraints.append(
        models.CheckConstraint(
            condition=same_as_prefill | ~Q(adjustment_reason=""),
            name="report_line_adjustment_has_reason",
            violation_error_message=_("An adjusted line gives the reason for the adjustment."),
        )
    )
    return constraints


class MonthlyReportLine(models.Model):
    """One waste code of one revision: the eight figures, each beside the value the ledger prefilled."""

    revision = models.ForeignKey(
        MonthlyReportRevision, models.CASCADE, related_name="lines", verbose_name=_("revision")
    )
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))

    opening_stock_t = tonnes_field(_("opening stock (t)"), default=0)
    generated_t = tonnes_field(_("generated (t)"), default=0)
    received_t = tonnes_field(_("received (t)"), default=0)
    utilized_in_house_t = tonnes_field(_("utilized in house (t)"), default=0)
    disposed_in_house_t = tonnes_field(_("disposed of in house (t)"), default=0)
    shipped_for_utilization_t = tonnes_field(_("shipped for utilization (t)"), default=0)
    shipped_for_disposal_t = tonnes_field(_("shipped for disposal (t)"), default=0)
    closing_stock_t = tonnes_field(_("closing stock (t)"), default=0)

    opening_stock_prefill_t = tonnes_field(_("opening stock, prefilled (t)"), default=0)
    generated_prefill_t = tonnes_field(_("generated, prefilled (t)"), default=0)
    received_prefill_t = tonnes_field(_("received, prefilled (t)"), default=0)
    utilized_in_house_prefill_t = tonnes_field(_("utilized in house, prefilled (t)"), default=0)
    disposed_in_house_prefill_t = tonnes_field(_("disposed of in house, prefilled (t)"), default=0)
    shipped_for_utilization_prefill_t = tonnes_field(_("shipped for utilization, prefilled (t)"), default=0)
    shipped_for_disposal_prefill_t = tonnes_field(_("shipped for disposal, prefilled (t)"), default=0)
    closing_stock_prefill_t = tonnes_field(_("closing stock, prefilled (t)"), default=0)

    adjustment_reason = models.TextField(_("reason for the adjustment"), blank=True)
    adjusted_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("adjusted by")
    )
    adjusted_at = models.DateTimeField(_("adjusted at"), null=True, blank=True)

    objects = MonthlyReportLineQuerySet.as_manager()

    class Meta:
        ordering = ["revision_id", "waste_code__code"]
        verbose_name = _("monthly report line")
        verbose_name_plural = _("monthly report lines")
        constraints = [
            models.UniqueConstraint(fields=["revision", "waste_code"], name="report_line_one_per_code"),
            *_figure_constraints(),
        ]

    def __str__(self) -> str:
        return f"{self.revision} {self.waste_code_id}"

    def figures(self) -> dict:
        return {name: getattr(self, column(name)) for name in FIGURES}

    def prefilled(self) -> dict:
        return {name: getattr(self, prefill_column(name)) for name in FIGURES}

    @property
    def is_adjusted(self) -> bool:
        return self.figures() != self.prefilled()

    @property
    def adjusted_figures(self) -> list[str]:
        return [name for name in FIGURES if getattr(self, column(name)) != getattr(self, prefill_column(name))]


class MonthlyReportEvent(models.Model):
    """The report's status log: who moved it, from what to what, with which comment. Insert only."""

    report = models.ForeignKey(MonthlyReport, models.PROTECT, related_name="events", verbose_name=_("report"))
    revision = models.PositiveSmallIntegerField(_("revision"))
    action = models.CharField(_("action"), max_length=16, choices=ReportAction.choices)
    from_status = models.CharField(_("from status"), max_length=10, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=10, choices=ReportStatus.choices)
    actor = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("actor"))
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("monthly report event")
        verbose_name_plural = _("monthly report events")

    def __str__(self) -> str:
        return f"{self.report} r{self.revision} {self.from_status} → {self.to_status} ({self.action})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The report's history cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The report's history cannot be changed."))


class ReminderKind(models.TextChoices):
    BEFORE_DEADLINE = "before", _("Deadline in three days")
    OVERDUE = "overdue", _("Deadline missed")


class ReportReminder(models.Model):
    """A reminder mailed to an enterprise about one period. The unique key makes each go out once, even
    when the daily job runs twice or on two workers at the same time."""

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="report_reminders", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    report_kind = models.PositiveSmallIntegerField(
        _("report kind"), choices=ReportKind.choices, default=ReportKind.MONTHLY
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ReminderKind.choices)
    recipients = models.TextField(_("recipients"), blank=True)
    sent_at = models.DateTimeField(_("sent at"))

    objects = ReportReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("report reminder")
        verbose_name_plural = _("report reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "month", "report_kind", "kind"],
                name="one_report_reminder_per_kind_and_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {Period(self.year, self.month, self.report_kind)} {self.kind}"
