"""Utilization-rate snapshots: api. `/api/v1/utilization/`, read-only, with year-to-date and rolling
12-month sums computed in SQL beside each monthly row (one query per page)."""

import re
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.models import WasteClass
from wasteparks.api.filters import SyncFilterSet
from wasteparks.api.viewsets import ReadOnlyViewSet
from wasteparks.periods import Period

from ..models.utilization import WINDOW_FIGURES, SnapshotScope, UtilizationSnapshot, rates_of

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodField(forms.CharField):
    """A month as YYYY-MM, cleaned to its month index (the snapshots' `month_index`)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = _PERIOD.match(value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(_("Use a month as YYYY-MM, e.g. 2025-03."))
        return Period.month_of(int(match.group(1)), int(match.group(2))).first_index


class PeriodFilter(django_filters.Filter):
    field_class = PeriodField


class UtilizationFilter(SyncFilterSet):
    scope = django_filters.ChoiceFilter(choices=SnapshotScope.choices)
    waste_class = django_filters.ChoiceFilter(choices=WasteClass.choices)
    category = django_filters.CharFilter(field_name="category_code", label="Category code (HW08, SW01); empty: all.")
    period_from = PeriodFilter(field_name="month_index", lookup_expr="gte", label="First month, YYYY-MM.")
    period_to = PeriodFilter(field_name="month_index", lookup_expr="lte", label="Last month, YYYY-MM.")
    province = django_filters.CharFilter(field_name="province_code")

    class Meta:
        model = UtilizationSnapshot
        fields = ["scope", "park", "enterprise", "waste_class", "year", "month"]


class WindowSerializer(serializers.Serializer):
    generated_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    utilized_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    disposed_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    utilized_from_prior_storage_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    treated_from_prior_storage_t = serializers.DecimalField(max_digits=16, decimal_places=4)
    utilization_rate_pct = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
    utilization_disposal_rate_pct = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)


def _window(snapshot, prefix: str) -> dict:
    sums = {figure: getattr(snapshot, f"{prefix}_{figure}") for figure in WINDOW_FIGURES}
    sums["utilization_rate_pct"], sums["utilization_disposal_rate_pct"] = rates_of(sums)
    return sums


class UtilizationSerializer(serializers.ModelSerializer):
    rate_pct = serializers.DecimalField(max_digits=9, decimal_places=4, read_only=True, allow_null=True)
    year_to_date = serializers.SerializerMethodField()
    rolling_12_months = serializers.SerializerMethodField()

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
