"""Admin for transfers. Everything that moves stock or status goes through the services, so the admin
shows those records read-only: an edit here would bypass the locks, the rules and the signature trail."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from wasteparks.admin import ReadOnlyInline, ReadOnlyMixin

from .models import (
    LedgerEntry,
    Manifest,
    ManifestEvent,
    ManifestLine,
    ManifestSequence,
    RevisionDecision,
    RevisionRequest,
    StockBalance,
)

# The inlines show these columns, all read-only. Tuples: the admin's declared types accept a tuple
# of names for both `fields` and `readonly_fields`.
LINE_COLUMNS = (
    "line_no",
    "waste_code",
    "source_facility",
    "declared_quantity_t",
    "packaging_type",
    "packaging_count",
    "physical_form",
    "received_quantity_t",
    "accepted_quantity_t",
    "acceptance",
    "is_discrepancy",
    "treatment_method",
    "treated_quantity_t",
)
EVENT_COLUMNS = ("at", "action", "from_status", "to_status", "actor", "acting_enterprise", "role", "source", "comment")
DECISION_COLUMNS = ("party", "enterprise", "decided_by", "decision", "comment", "at")


class ManifestLineInline(ReadOnlyInline):
    model = ManifestLine
    fields = LINE_COLUMNS
    readonly_fields = LINE_COLUMNS


class ManifestEventInline(ReadOnlyInline):
    model = ManifestEvent
    fields = EVENT_COLUMNS
    readonly_fields = EVENT_COLUMNS


@admin.register(Manifest)
class ManifestAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["number", "status", "waste_class", "consignor", "carrier", "receiver", "planned_date"]
    list_filter = ["status", "waste_class", "purpose", "is_cross_province", "has_discrepancy"]
    search_fields = ["number", "consignor__name", "receiver__name", "vehicle_plate"]
    list_select_related = ["consignor", "carrier", "receiver"]
    date_hierarchy = "planned_date"
    inlines = [ManifestLineInline, ManifestEventInline]


@admin.register(ManifestEvent)
class ManifestEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "manifest", "action", "from_status", "to_status", "actor", "acting_enterprise", "source"]
    list_filter = ["action", "source"]
    search_fields = ["manifest__number"]
    list_select_related = ["manifest", "actor", "acting_enterprise"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "enterprise", "facility", "waste_code", "stage", "quantity_t", "batch_code"]
    list_filter = ["stage", "source"]
    search_fields = ["enterprise__name", "waste_code__code", "batch_code"]
    list_select_related = ["enterprise", "facility", "waste_code"]
    date_hierarchy = "occurred_at"


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["enterprise", "facility", "waste_code", "quantity_t", "total_in_t", "total_out_t", "updated_at"]
    search_fields = ["enterprise__name", "waste_code__code"]
    list_select_related = ["enterprise", "facility", "waste_code"]


class RevisionDecisionInline(ReadOnlyInline):
    model = RevisionDecision
    fields = DECISION_COLUMNS
    readonly_fields = DECISION_COLUMNS


@admin.register(RevisionRequest)
class RevisionRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["manifest", "proposing_party", "proposing_enterprise", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["manifest__number"]
    inlines = [RevisionDecisionInline]


@admin.register(ManifestSequence)
class ManifestSequenceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["year", "city_code", "last_serial"]
