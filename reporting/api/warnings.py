"""Early warnings: api. `/api/v1/warnings/`: the list and detail (read by officers, enterprises for
their own, and the provincial client), and the officers' lifecycle actions as POSTs."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from registry.models import User
from wasteparks.api.filters import OffsetDateTimeFilter, SyncFilterSet
from wasteparks.api.serializers import StrictSerializer
from wasteparks.api.viewsets import ReadOnlyViewSet

from ..models.warnings import Severity, Warning, WarningEvent, WarningStatus
from ..warnings import lifecycle


class WarningFilter(SyncFilterSet):
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    status = django_filters.ChoiceFilter(choices=WarningStatus.choices)
    raised_after = OffsetDateTimeFilter(field_name="raised_at", lookup_expr="gte")
    raised_before = OffsetDateTimeFilter(field_name="raised_at", lookup_expr="lt")

    class Meta:
        model = Warning
        fields = ["park", "enterprise", "rule", "severity", "status", "manifest", "permit", "facility"]


class WarningEventSerializer(serializers.ModelSerializer):
    actor: "serializers.StringRelatedField[User]" = serializers.StringRelatedField()

    class Meta:
        model = WarningEvent
        fields = ["action", "from_status", "to_status", "actor", "note", "at"]


class WarningSerializer(serializers.ModelSerializer):
    message = serializers.CharField(read_only=True)
    events = WarningEventSerializer(many=True, read_only=True)

    class Meta:
        model = Warning
        fields = [
            "id",
            "rule",
            "severity",
            "park",
            "enterprise",
            "manifest",
            "permit",
            "facility",
            "approval",
            "report",
            "message",
            "message_zh",
            "message_en",
            "evidence",
            "dedup_key",
            "status",
            "assignee",
            "raised_at",
            "closed_at",
            "closed_reason",
            "events",
            "created_at",
            "updated_at",
        ]


class NoteSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(NoteSerializer):
    assignee = serializers.IntegerField()


class WarningViewSet(ReadOnlyViewSet):
    """Early warnings (DESIGN 6). Officers of the warning's park acknowledge, assign, resolve or dismiss."""

    queryset = Warning.objects.with_details().prefetch_related("events__actor")
    serializer_class = WarningSerializer
    filterset_class = WarningFilter

    @extend_schema(request=NoteSerializer, responses=WarningSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        data = self.validated(NoteSerializer)
        return self.answer(
            lifecycle.acknowledge_warning(warning=self.get_object(), actor=request.user, note=data["note"])
        )

    @extend_schema(request=AssignSerializer, responses=WarningSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = self.validated(AssignSerializer)
        assignee = get_object_or_404(User, pk=data["assignee"], is_active=True)
        return self.answer(
            lifecycle.assign_warning(
                warning=self.get_object(), actor=request.user, assignee=assignee, note=data["note"]
            )
        )

    @extend_schema(request=NoteSerializer, responses=WarningSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        data = self.validated(NoteSerializer)
        return self.answer(lifecycle.resolve_warning(warning=self.get_object(), actor=request.user, note=data["note"]))

    @extend_schema(request=NoteSerializer, responses=WarningSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        data = self.validated(NoteSerializer)
        return self.answer(lifecycle.dismiss_warning(warning=self.get_object(), actor=request.user, note=data["note"]))


routes = [("warnings", WarningViewSet, "warning")]
