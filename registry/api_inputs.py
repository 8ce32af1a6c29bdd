"""Input serializers for the registry's writes under /api/v1/: applying for and recording permits and
cross-province transfer approvals, and the officers' decisions on them. They turn bad input (an unknown
code or method, dates out of order) into 400s with field messages; registry.licensing decides the rest."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from wasteparks.api.serializers import StrictSerializer

from .licensing import Activities, LineInput
from .models import Enterprise, ManagementMethod, PermitKind, WasteCategory, WasteCode

CAPACITY_MAX_T = 10**9  # the column holds 10 digits before the point


class _VisibleEnterpriseField(serializers.PrimaryKeyRelatedField):
    """An enterprise the caller may see: any other id 'does not exist' (no tenant leaks)."""

    def get_queryset(self):
        request = self.context.get("request")
        return Enterprise.objects.visible_to(request.user) if request is not None else Enterprise.objects.none()


def _dates_in_order(data: dict) -> dict:
    if data["valid_to"] < data["valid_from"]:
        raise serializers.ValidationError({"valid_to": [_("The end of validity cannot be before its start.")]})
    return data


class PermitLineInputSerializer(StrictSerializer):
    waste_code = serializers.SlugRelatedField(
        slug_field="code", queryset=WasteCode.objects.active(), required=False, allow_null=True, default=None,
        help_text="A waste code of the catalogue, e.g. 900-249-08; or give `category` instead.",
    )  # fmt: skip
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=WasteCategory.objects.active(), required=False, allow_null=True, default=None,
        help_text="A whole category, e.g. HW08; or give `waste_code` instead.",
    )  # fmt: skip
    method = serializers.SlugRelatedField(
        slug_field="code", queryset=ManagementMethod.objects.active(), help_text="e.g. R9, D10, S1."
    )
    annual_capacity_t = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0, max_value=CAPACITY_MAX_T)

    def validate(self, data):
        if (data["waste_code"] is None) == (data["category"] is None):
            raise serializers.ValidationError(_("A permit line names either a waste code or a category, not both."))
        return data


class PermitInputSerializer(StrictSerializer):
    """An application (by the enterprise's administrator or its API client) or, from an officer of its
    park, a licence recorded from the paper copy (which needs its number)."""

    enterprise = _VisibleEnterpriseField(queryset=Enterprise.objects.all())
    kind = serializers.ChoiceField(PermitKind.choices)
    number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    issuer = serializers.CharField(max_length=200, help_text="The authority issuing it, or applied to.")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    covers_collection = serializers.BooleanField(required=False, default=False)
    covers_storage = serializers.BooleanField(required=False, default=False)
    covers_utilization = serializers.BooleanField(required=False, default=False)
    covers_disposal = serializers.BooleanField(required=False, default=False)
    lines = serializers.ListField(child=PermitLineInputSerializer(), required=False, default=list, max_length=200)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, data):
        return _dates_in_order(data)

    @staticmethod
    def activities(data: dict) -> Activities:
        return Activities(
            collection=data["covers_collection"],
            storage=data["covers_storage"],
            utilization=data["covers_utilization"],
            disposal=data["covers_disposal"],
        )

    @staticmethod
    def line_inputs(lines: list[dict]) -> list[LineInput]:
        return [
            LineInput(
                method=line["method"],
                annual_capacity_t=line["annual_capacity_t"],
                waste_code=line["waste_code"],
                category=line["category"],
            )
            for line in lines
        ]


class DecisionInputSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="The number issued (to grant)."
    )


class RenewalInputSerializer(StrictSerializer):
    number = serializers.CharField(max_length=64)
    issuer = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, data):
        return _dates_in_order(data)


class ApprovalInputSerializer(StrictSerializer):
    """An application by the consignor's administrator or, from an officer of its park, an approval
    recorded from the paper copy (which needs its number)."""

    consignor = _VisibleEnterpriseField(queryset=Enterprise.objects.all())
    # The receiver is in another province: any active receiver registered on the platform.
    receiver = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.active().receivers())
    waste_code = serializers.SlugRelatedField(slug_field="code", queryset=WasteCode.objects.active())
    approved_quantity_t = serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal("0.0001"), max_value=CAPACITY_MAX_T
    )
    number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    issuer = serializers.CharField(max_length=200, help_text="The authority approving (or applied to).")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, data):
        return _dates_in_order(data)
