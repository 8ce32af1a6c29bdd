"""Query filters of the transfer collections (?status=, ?party=, ?code=, ...), on top of the sync filters."""

import django_filters

from registry.models import WasteClass
from wasteparks.api.filters import CodeFilter, IntegerFilter, OffsetDateTimeFilter, StrictBooleanFilter, SyncFilterSet

from ..models import LedgerEntry, LedgerStage, Manifest, ManifestStatus, StockBalance


class ManifestFilter(SyncFilterSet):
    number = django_filters.CharFilter(field_name="number", lookup_expr="startswith")
    status = django_filters.MultipleChoiceFilter(choices=ManifestStatus.choices)
    waste_class = django_filters.ChoiceFilter(choices=WasteClass.choices)
    party = IntegerFilter(method="filter_party", help_text="Enterprise id in any of the three roles.")
    consignor = IntegerFilter(field_name="consignor_id")
    carrier = IntegerFilter(field_name="carrier_id")
    receiver = IntegerFilter(field_name="receiver_id")
    code = CodeFilter(method="filter_code", help_text="Manifests with a line of this waste code.")
    planned_from = django_filters.DateFilter(field_name="planned_date", lookup_expr="gte")
    planned_to = django_filters.DateFilter(field_name="planned_date", lookup_expr="lte")
    submitted_after = OffsetDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = OffsetDateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    has_discrepancy = StrictBooleanFilter()

    class Meta:
        model = Manifest
        fields = ["number", "status", "waste_class", "purpose", "is_cross_province"]

    def filter_party(self, queryset, name, value):
        return queryset.involving(value)

    def filter_code(self, queryset, name, value):
        return queryset.with_code(value)


class LedgerEntryFilter(SyncFilterSet):
    enterprise = IntegerFilter(field_name="enterprise_id")
    facility = IntegerFilter(field_name="facility_id")
    waste_code = CodeFilter(field_name="waste_code__code")
    stage = django_filters.MultipleChoiceFilter(choices=LedgerStage.choices)
    manifest = IntegerFilter(field_name="manifest_line__manifest_id")
    occurred_after = OffsetDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = OffsetDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = LedgerEntry
        fields = ["enterprise", "facility", "stage"]


class StockFilter(SyncFilterSet):
    enterprise = IntegerFilter(field_name="enterprise_id")
    facility = IntegerFilter(field_name="facility_id")
    waste_code = CodeFilter(field_name="waste_code__code")
    waste_class = django_filters.ChoiceFilter(field_name="waste_code__waste_class", choices=WasteClass.choices)
    on_hand = StrictBooleanFilter(method="filter_on_hand", help_text="Only balances above 0 t.")

    class Meta:
        model = StockBalance
        fields = ["enterprise", "facility"]

    def filter_on_hand(self, queryset, name, value):
        return queryset.on_hand() if value else queryset.filter(quantity_t=0)
