"""People: api. `/api/v1/people/`, read-only: the people rows name by id (a manifest's driver, a
signer, a warning's assignee, an inspection's officer), as far as the caller may see them
(reporting/querysets/people.py). No contact details: an e-mail address or a phone number is not a
reference, and people outside the caller's own enterprise have not given theirs to it."""

import django_filters
from django.db.models import Prefetch
from rest_framework import serializers

from registry.models import EnterpriseMembership, EnterpriseRole, JurisdictionMembership, OfficerRole, Park, User
from wasteparks.api.fields import BlankAsNullCharField
from wasteparks.api.filters import IntegerFilter, SyncFilterSet
from wasteparks.api.viewsets import ReadOnlyViewSet

from ..querysets.people import PersonQuerySet


class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnterpriseMembership
        fields = ["enterprise", "role"]


class JurisdictionSerializer(serializers.ModelSerializer):
    park: "serializers.PrimaryKeyRelatedField[Park]" = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The park of a park officer; null for a provincial officer."
    )
    province_code = BlankAsNullCharField(
        help_text="The 2-digit province of a provincial officer; null for a park officer."
    )

    class Meta:
        model = JurisdictionMembership
        fields = ["role", "park", "province_code"]


class PersonSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(
        source="__str__", read_only=True, help_text="Derived: the full name, or the username when none is given."
    )
    memberships = MembershipSerializer(
        source="enterprise_memberships",
        many=True,
        read_only=True,
        help_text="The person's roles on enterprises (admin, preparer, driver, viewer).",
    )
    jurisdictions = JurisdictionSerializer(many=True, read_only=True, help_text="The person's officer roles.")
    api_client_enterprise = serializers.IntegerField(
        source="api_client.enterprise_id",
        read_only=True,
        allow_null=True,
        help_text="Derived: for a service account, the enterprise its API client acts for; null for a person, "
        "and for a read:all client.",
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "is_active",
            "is_service_account",
            "memberships",
            "jurisdictions",
            "api_client_enterprise",
        ]


class PersonFilter(SyncFilterSet):
    # Accounts carry no updated_at: the list is pulled whole, in id order.
    updated_after = None  # type: ignore[assignment]
    username = django_filters.CharFilter(field_name="username", help_text="Exact username.")
    enterprise = IntegerFilter(
        field_name="enterprise_memberships__enterprise_id", distinct=True, help_text="Members of this enterprise."
    )
    role = django_filters.ChoiceFilter(
        field_name="enterprise_memberships__role",
        choices=EnterpriseRole.choices,
        distinct=True,
        help_text="People holding this role on an enterprise.",
    )
    officer_role = django_filters.ChoiceFilter(
        field_name="jurisdictions__role", choices=OfficerRole.choices, distinct=True, help_text="Officers of this kind."
    )

    class Meta:
        model = User
        fields = ["username", "enterprise", "role", "officer_role"]


class PersonViewSet(ReadOnlyViewSet):
    """People and service accounts named by rows: drivers, signers, submitters, reviewers, assignees,
    officers. The provincial read:all client sees everyone; an enterprise sees its own staff and API
    client and the drivers named on its manifests; an officer also the officers of its parks and province.
    Accounts carry no updated_at: pull the list whole, in id order (`updated_after` does not apply)."""

    queryset = (
        PersonQuerySet(model=User)
        .select_related("api_client")
        .prefetch_related(
            Prefetch("enterprise_memberships", queryset=EnterpriseMembership.objects.order_by("enterprise_id")),
            Prefetch("jurisdictions", queryset=JurisdictionMembership.objects.order_by("pk")),
        )
    )
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    sync_ordering = ("id",)


routes = [("people", PersonViewSet, "person")]
