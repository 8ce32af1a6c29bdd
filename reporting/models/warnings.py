"""Early warnings: models.

A warning is raised by a rule (reporting/warnings/) through the engine (reporting/warnings/engine.py),
never by hand. Its dedup key names the rule's subject; at most one warning per key is live (open or
acknowledged), and the database enforces that, so two scans running at once cannot both raise it. Every
status change leaves a WarningEvent; every mail sent about a warning leaves a WarningNotification,
unique per (warning, address), so no one is told twice.
"""

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from registry.models import (
    Enterprise,
    Facility,
    Park,
    Permit,
    TransferApproval,
    User,
)
from registry.tenancy import scope_of
from transfers.models import Manifest
from wasteparks.models import Timestamped

__all__ = [
    "LIVE_STATUSES",
    "Severity",
    "Warning",
    "WarningAction",
    "WarningClosedReason",
    "WarningEvent",
    "WarningNotification",
    "WarningNotificationKind",
    "WarningQuerySet",
    "WarningStatus",
]


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK: dict[str, int] = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class WarningStatus(models.TextChoices):
    # Open as a warning not yet handled (未处理), not an inspection awaiting rectification.
    OPEN = "open", pgettext_lazy("warning status", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


LIVE_STATUSES = (WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED)


class WarningAction(models.TextChoices):
    """What a WarningEvent records: the engine's steps and the officers' actions (WARNING_FLOW)."""

    RAISED = "raised", _("Raised")
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGE = "acknowledge", _("Acknowledged")
    ASSIGN = "assign", _("Assigned")
    RESOLVE = "resolve", _("Resolved")
    DISMISS = "dismiss", _("Dismissed")
    AUTO_CLOSED = "auto_closed", _("Closed automatically")


class WarningClosedReason(models.TextChoices):
    AUTO = "auto", _("The condition cleared")
    OFFICER = "officer", _("Closed by an officer")


class WarningQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="park", enterprise="enterprise"))

    def live(self):
        return self.filter(status__in=LIVE_STATUSES)

    def of_rule(self, code: str):
        return self.filter(rule=code)

    def with_details(self):
        return self.select_related("park", "enterprise", "assignee")


class Warning(Timestamped):
    rule = models.CharField(_("rule"), max_length=32, db_index=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    # The jurisdiction: the officers of this park are the ones who must act.
    park = models.ForeignKey(Park, models.PROTECT, related_name="warnings", verbose_name=_("park"))
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, null=True, blank=True, related_name="warnings", verbose_name=_("enterprise")
    )
    # The subject, typed so an officer can drill down from the warning (at most the ones that apply).
    manifest = models.ForeignKey(
        Manifest, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("manifest")
    )
    permit = models.ForeignKey(
        Permit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("permit")
    )
    facility = models.ForeignKey(
        Facility, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("facility")
    )
    approval = models.ForeignKey(
        TransferApproval, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("transfer approval")
    )
    report = models.ForeignKey(
        "reporting.MonthlyReport", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("report")
    )
    message_zh = models.TextField(_("message (Chinese)"))
    message_en = models.TextField(_("message (English)"))
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    dedup_key = models.CharField(_("dedup key"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=WarningStatus.choices, default=WarningStatus.OPEN, db_index=True
    )
    assignee = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="assigned_warnings", verbose_name=_("assignee")
    )
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_reason = models.CharField(_("closed because"), max_length=8, choices=WarningClosedReason.choices, blank=True)
    # An officer's resolve or dismiss keeps the rule from raising the same key again until the condition
    # has cleared once; otherwise the next hourly scan would reopen what the officer just closed.
    suppresses = models.BooleanField(_("suppresses re-raising"), default=False)

    objects = WarningQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-raised_at", "-id"]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        indexes = [
            *Timestamped.Meta.indexes,
            models.Index(fields=["rule", "status"], name="warning_rule_status"),
            models.Index(fields=["park", "status"], name="warning_park_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="warning_one_live_per_dedup_key",
            ),
            models.CheckConstraint(
                condition=(Q(status__in=["open", "acknowledged"]) & Q(closed_at__isnull=True) & Q(closed_reason=""))
                | (Q(status__in=["resolved", "dismissed"]) & Q(closed_at__isnull=False) & ~Q(closed_reason="")),
                name="warning_closed_fields_match_status",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["info", "warning", "critical"]), name="warning_severity_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.dedup_key} ({self.status})"

    @property
    def message(self) -> str:
        """The message in the active language (Chinese unless English is active)."""
        language = (translation.get_language() or "zh-hans").lower()
        return self.message_en if language.startswith("en") else self.message_zh

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class WarningEvent(models.Model):
    """The history of a warning: raised, escalated, acknowledged, assigned, resolved, dismissed,
    closed automatically. Rows are only ever inserted. On PostgreSQL the table is partitioned by year of
    `at` (wasteparks/partitions.py)."""

    warning = models.ForeignKey(Warning, models.CASCADE, related_name="events", verbose_name=_("warning"))
    action = models.CharField(_("action"), max_length=16, choices=WarningAction.choices)
    from_status = models.CharField(_("from status"), max_length=12, choices=WarningStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=12, choices=WarningStatus.choices)
    actor = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("actor (none: the system)")
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("warning event")
        verbose_name_plural = _("warning events")

    def __str__(self) -> str:
        return f"{self.warning_id} {self.action}: {self.from_status} → {self.to_status}"


class WarningNotificationKind(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Daily digest")


class WarningNotification(models.Model):
    """A mail that told `email` about `warning`. Written in the transaction that sends the mail, so the
    unique constraint makes a concurrent or repeated run skip it."""

    warning = models.ForeignKey(Warning, models.CASCADE, related_name="notifications", verbose_name=_("warning"))
    email = models.EmailField(_("address"))
    user = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=10, choices=WarningNotificationKind.choices)
    batch = models.UUIDField(_("batch"), db_index=True)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("warning notification")
        verbose_name_plural = _("warning notifications")
        constraints = [
            models.UniqueConstraint(fields=["warning", "email"], name="warning_notified_once_per_address"),
        ]

    def __str__(self) -> str:
        return f"{self.warning_id} → {self.email} ({self.kind})"
