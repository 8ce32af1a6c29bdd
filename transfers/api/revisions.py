"""Revision requests: api. `/api/v1/revision-requests/`, read-only: corrections of signed manifests with
the other parties' decisions, seen by whoever may see the manifest. Parties propose and decide in the
browser, through the services."""

import django_filters
from django.db.models import Prefetch
from rest_framework import serializers

from wasteparks.api.filters import IntegerFilter, SyncFilterSet
from wasteparks.api.viewsets import ReadOnlyViewSet

from ..models import Party, RevisionDecision, RevisionRequest, RevisionStatus


class RevisionDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RevisionDecision
        fields = ["party", "enterprise", "decided_by", "decision", "comment", "at"]


class RevisionRequestSerializer(serializers.ModelSerializer):
    changes = serializers.JSONField(
        read_only=True,
        help_text='The new values: {"manifest": {field: value}, "lines": {"<line_no>": {field: value}}}; '
        "fields under the names rows are read with.",
    )
    previous = serializers.JSONField(read_only=True, help_text="The values before, in the same shape as `changes`.")
    decisions = RevisionDecisionSerializer(
        many=True, read_only=True, help_text="The other parties' answers so far, in the order given."
    )

    class Meta:
        model = RevisionRequest
        fields = [
            "id",
            "manifest",
            "proposed_by",
            "proposing_enterprise",
            "proposing_party",
            "changes",
            "previous",
            "reason",
            "status",
            "decided_at",
            "decisions",
            "created_at",
            "updated_at",
        ]


class RevisionRequestFilter(SyncFilterSet):
    manifest = IntegerFilter(field_name="manifest_id")
    proposing_enterprise = IntegerFilter(field_name="proposing_enterprise_id")
    proposing_party = django_filters.ChoiceFilter(choices=Party.choices)
    status = django_filters.MultipleChoiceFilter(choices=RevisionStatus.choices)

    class Meta:
        model = RevisionRequest
        fields = ["manifest", "proposing_enterprise", "proposing_party", "status"]


class RevisionRequestViewSet(ReadOnlyViewSet):
    """Revision requests (DESIGN 4): a party's correction of a signed manifest and the other parties'
    decisions. Approved changes are applied to the manifest, which moves forward in its own collection."""

    queryset = RevisionRequest.objects.prefetch_related(
        Prefetch("decisions", queryset=RevisionDecision.objects.order_by("at", "pk"))
    )
    serializer_class = RevisionRequestSerializer
    filterset_class = RevisionRequestFilter
    ordering_fields = ("updated_at", "created_at")
