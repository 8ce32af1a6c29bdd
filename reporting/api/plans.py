"""Annual hazardous waste management plans: api.

`management-plans` lists and shows plans with their lines and history. Enterprise clients draft their own
(a year and its lines per waste code), replace the lines of a draft or returned plan and submit it; the
park's officers accept it or return it with a comment.
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action

from registry.models import Enterprise, WasteCode
from wasteparks.api.filters import IntegerFilter, SyncFilterSet
from wasteparks.api.serializers import StrictSerializer
from wasteparks.api.viewsets import WriteViewSet

from ..models.plans import PLAN_FIGURES, ManagementPlan, ManagementPlanEvent, ManagementPlanLine
from ..rules.reports import FIGURE_PLACES, MAX_FIGURE_T, ReportStatus
from ..services import plans as services
from .reports import ReportCommentSerializer, _username, _VisibleEnterprise


class ManagementPlanLineSerializer(serializers.ModelSerializer):
    waste_code: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ManagementPlanLine
        fields = ["waste_code", *(f"{name}_t" for name in PLAN_FIGURES)]


class ManagementPlanEventSerializer(serializers.ModelSerializer):
    actor = _username()

    class Meta:
        model = ManagementPlanEvent
        fields = ["action", "from_status", "to_status", "actor", "comment", "at"]


class ManagementPlanSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(
        source="enterprise.name", read_only=True, help_text="Derived: the enterprise's current name."
    )
    park = serializers.IntegerField(
        source="enterprise.park_id", read_only=True, help_text="Derived: the enterprise's park (a row of `parks`)."
    )
    deadline = serializers.DateField(read_only=True, help_text="Derived: 31 March of the plan's year.")
    lines = ManagementPlanLineSerializer(many=True, read_only=True)
    history = ManagementPlanEventSerializer(source="events", many=True, read_only=True)

    class Meta:
        model = ManagementPlan
        fields = [
            "id", "enterprise", "enterprise_name", "park", "year", "status", "deadline", "is_late", "submitted_at",
            "reviewed_at", "review_comment", "lines", "history", "created_at", "updated_at",
        ]  # fmt: skip


class PlanLineInputSerializer(StrictSerializer):
    waste_code = serializers.SlugRelatedField(slug_field="code", queryset=WasteCode.objects.all())

    def get_fields(self):
        fields = super().get_fields()
        for name in PLAN_FIGURES:
            fields[f"{name}_t"] = serializers.DecimalField(
                max_digits=14, decimal_places=FIGURE_PLACES, min_value=0, max_value=MAX_FIGURE_T, required=False
            )
        return fields


class PlanLinesSerializer(StrictSerializer):
    lines = PlanLineInputSerializer(many=True, allow_empty=False)

    @staticmethod
    def inputs(lines: list[dict]) -> list[services.PlanLineInput]:
        return [
            services.PlanLineInput(
                waste_code=line["waste_code"],
                figures={name: line[f"{name}_t"] for name in PLAN_FIGURES if f"{name}_t" in line},
            )
            for line in lines
        ]


class PlanCreateSerializer(PlanLinesSerializer):
    enterprise = _VisibleEnterprise()
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class ManagementPlanFilter(SyncFilterSet):
    park = IntegerFilter(field_name="enterprise__park_id")
    enterprise = IntegerFilter(field_name="enterprise_id")
    year = IntegerFilter()
    status = django_filters.MultipleChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = ManagementPlan
        fields = ["park", "enterprise", "year", "status"]


@extend_schema_view(
    create=extend_schema(request=PlanCreateSerializer, responses={201: ManagementPlanSerializer}),
    partial_update=extend_schema(
        request=PlanLinesSerializer, responses=ManagementPlanSerializer, summary="Replace the lines of a draft plan."
    ),
)
class ManagementPlanViewSet(WriteViewSet):
    """Annual hazardous waste management plans (危险废物管理计划) with their lines and history."""

    queryset = ManagementPlan.objects.select_related("enterprise").prefetch_related(
        Prefetch(
            "lines", queryset=ManagementPlanLine.objects.select_related("waste_code").order_by("waste_code__code")
        ),
        Prefetch("events", queryset=ManagementPlanEvent.objects.select_related("actor")),
    )
    serializer_class = ManagementPlanSerializer
    filterset_class = ManagementPlanFilter
    ordering_fields = ("updated_at", "year")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = self.validated(PlanCreateSerializer)
        enterprise: Enterprise = data["enterprise"]
        plan = services.create_management_plan(
            actor=request.user,
            enterprise=enterprise,
            year=data["year"],
            lines=PlanLinesSerializer.inputs(data["lines"]),
        )
        return self.answer(plan, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        data = self.validated(PlanLinesSerializer)
        plan = services.replace_plan_lines(
            plan=self.get_object(), actor=request.user, lines=PlanLinesSerializer.inputs(data["lines"])
        )
        return self.answer(plan)

    @extend_schema(request=ReportCommentSerializer, responses=ManagementPlanSerializer, summary="File the plan.")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = self.validated(ReportCommentSerializer)
        return self.answer(
            services.submit_management_plan(plan=self.get_object(), actor=request.user, comment=data["comment"])
        )

    @extend_schema(request=ReportCommentSerializer, responses=ManagementPlanSerializer, summary="Accept (officer).")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        data = self.validated(ReportCommentSerializer)
        return self.answer(
            services.accept_management_plan(plan=self.get_object(), officer=request.user, comment=data["comment"])
        )

    @extend_schema(
        request=ReportCommentSerializer, responses=ManagementPlanSerializer, summary="Return with a comment (officer)."
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_plan(self, request, pk=None):
        data = self.validated(ReportCommentSerializer)
        return self.answer(
            services.return_management_plan(plan=self.get_object(), officer=request.user, comment=data["comment"])
        )


routes = [("management-plans", ManagementPlanViewSet, "management-plan")]
