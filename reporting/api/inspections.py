"""Inspections: api. `/api/v1/inspections/`: officers' site visits and desk checks, seen by the officers
of the enterprise's park and by the enterprise itself (as on its page). Officers of the park record them
(POST to the collection, linking the warnings followed up) and record the rectification (POST to
`rectified`), through the same services as the pages (reporting.services.inspections)."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action

from registry.models import Enterprise, Park
from wasteparks.api.filters import IntegerFilter, SyncFilterSet
from wasteparks.api.serializers import StrictSerializer
from wasteparks.api.viewsets import WriteViewSet

from ..models.inspections import Inspection, InspectionKind, InspectionStatus
from ..models.warnings import Warning
from ..services import inspections as services


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


class _Visible(serializers.PrimaryKeyRelatedField):
    """A row the caller may see: any other id 'does not exist' (no tenant leaks)."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        return queryset.visible_to(request.user) if request is not None else queryset.none()


class InspectionInputSerializer(StrictSerializer):
    enterprise = _Visible(queryset=Enterprise.objects.all())
    date = serializers.DateField(help_text="The day of the visit or check: today or earlier.")
    kind = serializers.ChoiceField(InspectionKind.choices)
    findings = serializers.CharField(max_length=10000)
    required_rectification = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    rectification_deadline = serializers.DateField(required=False, allow_null=True, default=None)
    warnings = _Visible(
        queryset=Warning.objects.all(), many=True, required=False, default=list,
        help_text="Ids of the warnings followed up: of this enterprise or of its park.",
    )  # fmt: skip


class RectifiedInputSerializer(StrictSerializer):
    note = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


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


@extend_schema_view(
    create=extend_schema(
        request=InspectionInputSerializer,
        responses={201: InspectionSerializer},
        description="An officer of the enterprise's park records an inspection; others get 403.",
    )
)
class InspectionViewSet(WriteViewSet):
    """Inspections of enterprises (DESIGN 3). `status` is what is stored: open until an officer records
    the rectification. An open inspection past its `rectification_deadline` is overdue; that is not a
    column, since it changes with the calendar rather than with the row."""

    queryset = Inspection.objects.all()
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    ordering_fields = ("updated_at", "date")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        # A linked warning the caller may not read (a park-wide one, for the enterprise itself) is left
        # out, so that every id the row names can be fetched.
        readable = Warning.objects.visible_to(self.request.user).only("pk")
        return super().get_queryset().prefetch_related(Prefetch("warnings", queryset=readable))

    def create(self, request, *args, **kwargs):
        data = self.validated(InspectionInputSerializer)
        inspection = services.record_inspection(actor=request.user, **data)
        return self.answer(inspection, status.HTTP_201_CREATED)

    @extend_schema(
        request=RectifiedInputSerializer,
        responses=InspectionSerializer,
        summary="An officer of the park records that the rectification was done; 409 if already recorded.",
    )
    @action(detail=True, methods=["post"])
    def rectified(self, request, pk=None):
        data = self.validated(RectifiedInputSerializer)
        inspection = services.mark_inspection_rectified(
            inspection=self.get_object(), actor=request.user, note=data["note"]
        )
        return self.answer(inspection)


routes = [("inspections", InspectionViewSet, "inspection")]
