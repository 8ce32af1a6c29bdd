"""Admin for reporting: read-only. Reports, warnings and snapshots change only through their services (the
status log, the frozen revisions and the recompute depend on it); submitted revisions and the status
logs are refused by the database anyway (wasteparks/migrations/0002_tamper_evidence.py)."""

from django.contrib import admin

from wasteparks.admin import ReadOnlyInline, ReadOnlyMixin

from .models import (
    MonthlyReport,
    MonthlyReportEvent,
    MonthlyReportLine,
    MonthlyReportRevision,
    ReportReminder,
    UtilizationSnapshot,
    Warning,
    WarningEvent,
    WarningNotification,
    WarningThreshold,
)


class MonthlyReportRevisionInline(ReadOnlyInline):
    model = MonthlyReportRevision
    show_change_link = True  # it has an admin page of its own
    fields = ["number", "submitted_by", "submitted_at", "is_late", "outcome", "reviewed_by", "reviewed_at"]


class MonthlyReportEventInline(ReadOnlyInline):
    model = MonthlyReportEvent
    show_change_link = True  # it has an admin page of its own
    fields = ["at", "revision", "action", "from_status", "to_status", "actor", "comment"]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["enterprise", "year", "month", "status", "is_late", "submitted_at", "reviewed_at"]
    list_filter = ["status", "is_late", "year"]
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    list_select_related = ["enterprise"]
    inlines = [MonthlyReportRevisionInline, MonthlyReportEventInline]


class MonthlyReportLineInline(ReadOnlyInline):
    model = MonthlyReportLine
    fields = [
        "waste_code",
        "opening_stock_t",
        "generated_t",
        "received_t",
        "utilized_in_house_t",
        "disposed_in_house_t",
        "shipped_for_utilization_t",
        "shipped_for_disposal_t",
        "closing_stock_t",
        "adjustment_reason",
    ]


@admin.register(MonthlyReportRevision)
class MonthlyReportRevisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["report", "number", "submitted_at", "is_late", "outcome", "reviewed_at"]
    list_filter = ["outcome", "is_late"]
    search_fields = ["report__enterprise__name"]
    list_select_related = ["report__enterprise"]
    inlines = [MonthlyReportLineInline]


@admin.register(MonthlyReportEvent)
class MonthlyReportEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "report", "revision", "action", "from_status", "to_status", "actor"]
    list_filter = ["action"]
    search_fields = ["report__enterprise__name"]
    list_select_related = ["report__enterprise", "actor"]


@admin.register(ReportReminder)
class ReportReminderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["enterprise", "year", "month", "kind", "sent_at"]
    list_select_related = ["enterprise"]


class WarningEventInline(ReadOnlyInline):
    model = WarningEvent
    show_change_link = True  # it has an admin page of its own
    fields = ["at", "action", "from_status", "to_status", "actor", "note"]


@admin.register(Warning)
class WarningAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["raised_at", "rule", "severity", "status", "park", "enterprise"]
    list_filter = ["status", "severity", "rule"]
    search_fields = ["enterprise__name", "dedup_key"]
    list_select_related = ["park", "enterprise"]
    inlines = [WarningEventInline]


@admin.register(WarningEvent)
class WarningEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "warning", "action", "from_status", "to_status", "actor"]
    list_filter = ["action"]
    list_select_related = ["actor"]


@admin.register(WarningNotification)
class WarningNotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["warning", "kind", "email", "sent_at"]
    list_filter = ["kind"]


@admin.register(UtilizationSnapshot)
class UtilizationSnapshotAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["subject_key", "year", "month", "waste_class", "category_code", "generated_t", "computed_at"]
    list_filter = ["scope", "waste_class", "year"]
    search_fields = ["subject_key"]


@admin.register(WarningThreshold)
class WarningThresholdAdmin(ReadOnlyMixin, admin.ModelAdmin):
    # Changed only on the thresholds page, which asks for the reason kept in the history.
    list_display = ["key", "value", "province_code", "park"]
    list_filter = ["key", "province_code"]
    list_select_related = ["park"]
