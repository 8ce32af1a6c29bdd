"""Early warnings: api. `/api/v1/warnings/`: the list and detail (read by officers, enterprises for
their own, and the provincial client), and the officers' lifecycle actions as POSTs."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer
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


@extend_schema_serializer(deprecate_fields=["actor"])
class WarningEventSerializer(serializers.ModelSerializer):
    actor: "serializers.StringRelatedField[User]" = serializers.StringRelatedField(
        allow_null=True,
        help_text="The officer's display name (v1: a name, not a reference); null for the system's own steps "
        "(raised, escalated, closed automatically). Deprecated: use `actor_id`.",
    )
    actor_id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The officer who acted: a row of `people`; null for the system's own steps.",
    )

    class Meta:
        model = WarningEvent
        fields = ["action", "from_status", "to_status", "actor", "actor_id", "note", "at"]


class WarningSerializer(serializers.ModelSerializer):
    message = serializers.CharField(
        read_only=True, help_text="Derived: `message_zh`, or `message_en` when the request asks for English."
    )
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
    """The officer to hand the warning to: one of `assignable_officers(warning)`, the warning given in the
    context. Any other id, existing or not, is the same 400 and never names the account."""

    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        error_messages={
            "does_not_exist": lifecycle.NOT_ASSIGNABLE,
            "incorrect_type": lifecycle.NOT_ASSIGNABLE,
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        warning = self.context.get("warning")
        field = self.fields["assignee"]
        assert isinstance(field, serializers.PrimaryKeyRelatedField)  # declared as one above
        field.queryset = lifecycle.assignable_officers(warning) if warning is not None else User.objects.none()


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
        warning = self.get_object()
        form = AssignSerializer(data=request.data, context={**self.get_serializer_context(), "warning": warning})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        return self.answer(
            lifecycle.assign_warning(warning=warning, actor=request.user, assignee=data["assignee"], note=data["note"])
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
