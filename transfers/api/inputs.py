"""Input serializers: what the API accepts for a draft, each signature and a ledger entry. They turn bad
input into 400s with field messages; the services decide everything else."""

from rest_framework import serializers

from registry.models import (
    Enterprise,
    EnterpriseRole,
    Facility,
    ManagementMethod,
    TransferApproval,
    User,
    WasteClass,
    WasteCode,
)
from wasteparks.api.serializers import StrictSerializer
from wasteparks.bounds import EVENT, PLAN

from .. import rules, services
from ..models import Acceptance, PackagingType, PhysicalForm, Purpose
from ..services.ledger import REASON_MAX_LENGTH


def tonnes(**kwargs) -> serializers.DecimalField:
    """A quantity in tonnes: a decimal with at most 4 places, above 0 and at most the per-line limit."""
    kwargs.setdefault("min_value", rules.MIN_QUANTITY_T)
    return serializers.DecimalField(
        max_digits=14, decimal_places=rules.QUANTITY_PLACES, max_value=rules.MAX_LINE_QUANTITY_T, **kwargs
    )


def _code_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", queryset=WasteCode.objects.all(), **kwargs)


def _method_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", queryset=ManagementMethod.objects.all(), **kwargs)


class _VisibleField(serializers.PrimaryKeyRelatedField):
    """A reference to a row the caller may see: anything else 'does not exist' (no tenant leaks)."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        return queryset.visible_to(request.user) if request is not None else queryset.none()


class LineInputSerializer(StrictSerializer):
    waste_code = _code_field()
    source_facility = _VisibleField(queryset=Facility.objects.all())
    declared_quantity_t = tonnes()
    packaging_type = serializers.ChoiceField(PackagingType.choices)
    packaging_count = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    physical_form = serializers.ChoiceField(PhysicalForm.choices)
    hazard = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    batch_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class ManifestInputSerializer(StrictSerializer):
    consignor = _VisibleField(queryset=Enterprise.objects.all())
    # Carriers and receivers are usually other enterprises (other parks too): any registered one.
    carrier = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    receiver = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    waste_class = serializers.ChoiceField(WasteClass.choices)
    purpose = serializers.ChoiceField(Purpose.choices)
    planned_date = serializers.DateField(validators=[PLAN])
    vehicle_plate = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    approval = _VisibleField(queryset=TransferApproval.objects.all(), required=False, allow_null=True, default=None)
    lines = serializers.ListField(child=LineInputSerializer(), min_length=1, max_length=rules.MAX_LINES_PER_MANIFEST)

    @staticmethod
    def line_inputs(lines: list[dict]) -> list[services.LineInput]:
        return [services.LineInput(**line) for line in lines]


class DraftUpdateSerializer(ManifestInputSerializer):
    """A draft's editable fields; all optional. `lines`, when given, replaces every line."""

    # DRF drops a field a subclass sets to None (the consignor of a draft is fixed); the stubs only allow
    # the base class's field type here.
    consignor = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class CommentSerializer(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PickupSerializer(CommentSerializer):
    vehicle_plate = serializers.CharField(max_length=16)
    driver = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(
            enterprise_memberships__role__in=(EnterpriseRole.DRIVER, EnterpriseRole.ADMIN)
        ).distinct(),
        required=False,
        allow_null=True,
        default=None,
    )


class ReceiptLineSerializer(StrictSerializer):
    line = serializers.IntegerField(min_value=1)
    received_quantity_t = tonnes(min_value=0)
    acceptance = serializers.ChoiceField(Acceptance.choices)
    accepted_quantity_t = tonnes(required=False, allow_null=True, default=None)
    rejection_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    facility = _VisibleField(queryset=Facility.objects.all())


class ReceiptSerializer(CommentSerializer):
    lines = serializers.ListField(child=ReceiptLineSerializer(), min_length=1, max_length=rules.MAX_LINES_PER_MANIFEST)


class TreatmentLineSerializer(StrictSerializer):
    line = serializers.IntegerField(min_value=1)
    method = _method_field()
    quantity_t = tonnes()


class TreatmentSerializer(CommentSerializer):
    lines = serializers.ListField(
        child=TreatmentLineSerializer(), min_length=1, max_length=rules.MAX_LINES_PER_MANIFEST
    )


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class LedgerReversalSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class LedgerEntryInputSerializer(StrictSerializer):
    enterprise = _VisibleField(queryset=Enterprise.objects.all())
    facility = _VisibleField(queryset=Facility.objects.all())
    waste_code = _code_field()
    stage = serializers.ChoiceField(sorted(rules.MANUAL_STAGES))
    quantity_t = tonnes()
    occurred_at = serializers.DateTimeField(required=False, default=None, validators=[EVENT])
    batch_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    method = _method_field(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
