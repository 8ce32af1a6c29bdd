"""Utilization-rate snapshots: api. `/api/v1/utilization/`, read-only, with year-to-date and rolling
12-month sums computed in SQL beside each monthly row (one query per page)."""

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.models import WasteClass
from wasteparks.api.fields import BlankAsNullCharField, BlankAsNullChoiceField
from wasteparks.api.filters import CodeFilter, SyncFilterSet
from wasteparks.api.viewsets import ReadOnlyViewSet

from ..forms.dashboard import MonthField
from ..models.utilization import (
    WINDOW_FIGURES,
    RateNote,
    SnapshotScope,
    UtilizationSnapshot,
    rate_note_text,
    rates_of,
    window_note,
)


class PeriodField(MonthField):
    """A month as YYYY-MM, cleaned to its month index (the snapshots' `month_index`)."""

    def to_python(self, value):
        period = super().to_python(value)
        return None if period is None else period.first_index


class PeriodFilter(django_filters.Filter):
    field_class = PeriodField


class UtilizationFilter(SyncFilterSet):
    scope = django_filters.ChoiceFilter(choices=SnapshotScope.choices)
    waste_class = django_filters.ChoiceFilter(choices=WasteClass.choices)
    category = CodeFilter(field_name="category_code", label="Category code (HW08, SW01); empty: all.")
    period_from = PeriodFilter(field_name="month_index", lookup_expr="gte", label="First month, YYYY-MM.")
    period_to = PeriodFilter(field_name="month_index", lookup_expr="lte", label="Last month, YYYY-MM.")
    province = django_filters.CharFilter(field_name="province_code")

    class Meta:
        model = UtilizationSnapshot
        fields = ["scope", "park", "enterprise", "waste_class", "year", "month"]


_RATE_NOTE_HELP = (
    "Why a rate is null although there is something to divide by: rate_beyond_bound (above 10,000 %, not a "
    "meaningful rate), figures_out_of_range (a quantity beyond what a figure holds: clamped, no rate), "
    "stock_out_of_range (the month-end stock clamped; the rates do not use it); null when there is no note. "
    "A null rate with a null note has nothing to divide by."
)
_RATE_NOTE_TEXT_HELP = "Derived: rate_note in words, in the request's language; null when there is no note."


class WindowSerializer(serializers.Serializer):
    generated_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    utilized_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    disposed_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    utilized_from_prior_storage_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    treated_from_prior_storage_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    utilization_rate_pct = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    utilization_disposal_rate_pct = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    rate_note = BlankAsNullChoiceField(choices=RateNote.choices, help_text=_RATE_NOTE_HELP)
    rate_note_text = BlankAsNullCharField(help_text=_RATE_NOTE_TEXT_HELP)


def _window(snapshot, prefix: str) -> dict:
    sums = {figure: getattr(snapshot, f"{prefix}_{figure}") for figure in WINDOW_FIGURES}
    sums["months_out_of_range"] = getattr(snapshot, f"{prefix}_months_out_of_range")
    sums["utilization_rate_pct"], sums["utilization_disposal_rate_pct"] = rates_of(sums)
    sums["rate_note"] = window_note(sums)
    sums["rate_note_text"] = rate_note_text(sums["rate_note"])
    return sums


class UtilizationSerializer(serializers.ModelSerializer):
    rate_pct = serializers.DecimalField(
        max_digits=16,
        decimal_places=4,
        read_only=True,
        allow_null=True,
        help_text="Derived: the headline rate of the waste class: utilization_rate_pct for general waste, "
        "utilization_disposal_rate_pct otherwise; null when there is nothing to divide by or when withheld "
        "(rate_note says why).",
    )
    rate_note = BlankAsNullChoiceField(choices=RateNote.choices, help_text=_RATE_NOTE_HELP)
    rate_note_text = BlankAsNullCharField(help_text=_RATE_NOTE_TEXT_HELP)
    year_to_date = serializers.SerializerMethodField(
        help_text="Derived: this subject's sums from January to this month, with their rates."
    )
    rolling_12_months = serializers.SerializerMethodField(
        help_text="Derived: this subject's sums over the 12 months ending with this one, with their rates."
    )

    class Meta:
        model = UtilizationSnapshot
        fields = [
            "id",
            "scope",
            "enterprise",
            "park",
            "province_code",
            "year",
            "month",
            "waste_class",
            "category_code",
            "generated_t",
            "utilized_t",
            "disposed_t",
            "stored_end_t",
            "utilized_from_prior_storage_t",
            "treated_from_prior_storage_t",
            "utilization_rate_pct",
            "utilization_disposal_rate_pct",
            "rate_pct",
            "rate_note",
            "rate_note_text",
            "year_to_date",
            "rolling_12_months",
            "computed_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(WindowSerializer)
    def get_year_to_date(self, snapshot) -> dict[str, Any]:
        return WindowSerializer(_window(snapshot, "ytd")).data

    @extend_schema_field(WindowSerializer)
    def get_rolling_12_months(self, snapshot) -> dict[str, Any]:
        return WindowSerializer(_window(snapshot, "r12")).data


class UtilizationViewSet(ReadOnlyViewSet):
    """Monthly utilization snapshots of enterprises, parks and provinces, per waste class and category
    (empty category: all), with year-to-date and rolling 12-month figures (DESIGN 5.6)."""

    queryset = UtilizationSnapshot.objects.with_windows()
    serializer_class = UtilizationSerializer
    filterset_class = UtilizationFilter


routes = [("utilization", UtilizationViewSet, "utilization")]
