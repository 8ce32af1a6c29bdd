"""Inspections: api. `/api/v1/inspections/`, read-only: officers' site visits and desk checks, seen by
the officers of the enterprise's park and by the enterprise itself (as on its page). Officers record them
in the browser, through the services."""

import django_filters
from django.db.models import Prefetch
from rest_framework import serializers

from registry.models import Park
from wasteparks.api.filters import IntegerFilter, SyncFilterSet
from wasteparks.api.viewsets import ReadOnlyViewSet

from ..models.inspections import Inspection, InspectionKind, InspectionStatus
from ..models.warnings import Warning


class InspectionSerializer(serializers.ModelSerializer):
    park: "serializers.PrimaryKeyRelatedField[Park]" = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The enterprise's park when it was inspected."
    )
    warnings: "serializers.ManyRelatedField" = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        many=True,
        read_only=True,
        help_text="The warnings the inspection followed up, as ids of `warnings`: those the caller may read.",
    )

    class Meta:
        model = Inspection
        fields = [
            "id",
            "enterprise",
            "park",
            "officer",
            "date",
            "kind",
            "findings",
            "required_rectification",
            "rectification_deadline",
            "status",
            "rectified_at",
            "rectified_by",
            "rectification_note",
            "warnings",
            "created_at",
            "updated_at",
        ]


class InspectionFilter(SyncFilterSet):
    enterprise = IntegerFilter(field_name="enterprise_id")
    park = IntegerFilter(field_name="park_id")
    kind = django_filters.ChoiceFilter(choices=InspectionKind.choices)
    status = django_filters.ChoiceFilter(choices=InspectionStatus.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Inspection
        fields = ["enterprise", "park", "kind", "status"]


class InspectionViewSet(ReadOnlyViewSet):
    """Inspections of enterprises (DESIGN 3). `status` is what is stored: open until an officer records
    the rectification. An open inspection past its `rectification_deadline` is overdue; that is not a
    column, since it changes with the calendar rather than with the row."""

    queryset = Inspection.objects.all()
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    ordering_fields = ("updated_at", "date")

    def get_queryset(self):
        # A linked warning the caller may not read (a park-wide one, for the enterprise itself) is left
        # out, so that every id the row names can be fetched.
        readable = Warning.objects.visible_to(self.request.user).only("pk")
        return super().get_queryset().prefetch_related(Prefetch("warnings", queryset=readable))


routes = [("inspections", InspectionViewSet, "inspection")]
