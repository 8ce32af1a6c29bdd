"""Revision requests: api. `/api/v1/revision-requests/`: corrections of signed manifests with the other
parties' decisions, seen by whoever may see the manifest. A party proposes one (POST to the collection)
and the other parties approve or refuse it (POST to its `approve` or `refuse`), through the same services
as the manifest page (transfers.services.revisions), the receiver's received, accepted and treated
figures included."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action

from wasteparks.api.filters import IntegerFilter, SyncFilterSet
from wasteparks.api.serializers import StrictSerializer
from wasteparks.api.viewsets import WriteViewSet

from .. import services
from ..models import Manifest, Party, RevisionDecision, RevisionRequest, RevisionStatus, Source


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


class _VisibleManifestField(serializers.PrimaryKeyRelatedField):
    """A manifest the caller may see: any other id 'does not exist' (no tenant leaks)."""

    def get_queryset(self):
        request = self.context.get("request")
        return Manifest.objects.visible_to(request.user) if request is not None else Manifest.objects.none()


class RevisionProposalSerializer(StrictSerializer):
    manifest = _VisibleManifestField(queryset=Manifest.objects.all())
    changes = serializers.JSONField(
        help_text='{"manifest": {"vehicle_plate": ..., "planned_date": ...}, "lines": {"<line_no>": {field: value}}}. '
        "Line fields: declared_quantity_t, packaging_type, packaging_count, physical_form, hazard, batch_code; "
        "the receiver's own: received_quantity_t, accepted_quantity_t, treated_quantity_t, treatment_method "
        "(a method code)."
    )
    reason = serializers.CharField(max_length=2000)
    party = serializers.ChoiceField(
        Party.choices, required=False, allow_null=True, default=None,
        help_text="The party proposing, where the caller holds several parts on the manifest.",
    )  # fmt: skip


class RevisionDecisionInputSerializer(StrictSerializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    party = serializers.ChoiceField(
        Party.choices, required=False, allow_null=True, default=None,
        help_text="The party deciding, where the caller holds several parts on the manifest.",
    )  # fmt: skip


class RevisionRequestFilter(SyncFilterSet):
    manifest = IntegerFilter(field_name="manifest_id")
    proposing_enterprise = IntegerFilter(field_name="proposing_enterprise_id")
    proposing_party = django_filters.ChoiceFilter(choices=Party.choices)
    status = django_filters.MultipleChoiceFilter(choices=RevisionStatus.choices)

    class Meta:
        model = RevisionRequest
        fields = ["manifest", "proposing_enterprise", "proposing_party", "status"]


def _decision(summary: str):
    return extend_schema(request=RevisionDecisionInputSerializer, responses=RevisionRequestSerializer, summary=summary)


@extend_schema_view(
    create=extend_schema(
        request=RevisionProposalSerializer,
        responses={201: RevisionRequestSerializer},
        description="A party proposes a correction of a signed manifest. Where no other party must decide, it "
        "is applied at once. 409 while another revision of the manifest is pending.",
    )
)
class RevisionRequestViewSet(WriteViewSet):
    """Revision requests (DESIGN 4): a party's correction of a signed manifest and the other parties'
    decisions. Approved changes are applied to the manifest, which moves forward in its own collection."""

    queryset = RevisionRequest.objects.prefetch_related(
        Prefetch("decisions", queryset=RevisionDecision.objects.order_by("at", "pk"))
    )
    serializer_class = RevisionRequestSerializer
    filterset_class = RevisionRequestFilter
    ordering_fields = ("updated_at", "created_at")
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = self.validated(RevisionProposalSerializer)
        revision = services.propose_revision(
            manifest=data["manifest"],
            actor=request.user,
            changes=data["changes"],
            reason=data["reason"],
            party=data["party"],
            source=Source.API,
        )
        return self.answer(revision, status.HTTP_201_CREATED)

    def _decide(self, request, approve: bool):
        data = self.validated(RevisionDecisionInputSerializer)
        revision = services.decide_revision(
            revision=self.get_object(),
            actor=request.user,
            approve=approve,
            comment=data["comment"],
            party=data["party"],
            source=Source.API,
        )
        return self.answer(revision)

    @_decision("Another party approves; the last approval applies the changes. 409 once decided.")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approve=True)

    @_decision("Another party refuses (a comment says why); one refusal refuses the revision.")
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._decide(request, approve=False)
