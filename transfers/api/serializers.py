"""Read serializers: how a manifest with its lines and signature trail, a ledger entry and a stock balance
read under /api/v1/ (ManifestFeed writes the same manifest representation for whole pages)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from registry.models import ManagementMethod, User, WasteCode

from ..models import LedgerEntry, Manifest, ManifestEvent, ManifestLine, StockBalance


class ManifestLineSerializer(serializers.ModelSerializer):
    waste_code: serializers.SlugRelatedField[WasteCode] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    treatment_method: serializers.SlugRelatedField[ManagementMethod] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = ManifestLine
        fields = [
            "line_no",
            "waste_code",
            "source_facility",
            "declared_quantity_t",
            "packaging_type",
            "packaging_count",
            "physical_form",
            "hazard",
            "batch_code",
            "received_quantity_t",
            "accepted_quantity_t",
            "acceptance",
            "rejection_reason",
            "is_discrepancy",
            "receiving_facility",
            "treatment_method",
            "treated_quantity_t",
            "treated_at",
        ]


@extend_schema_serializer(deprecate_fields=["actor"])
class ManifestEventSerializer(serializers.ModelSerializer):
    actor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        help_text="The signer's username (v1: a username, not an id). Deprecated: use `actor_id`.",
    )
    actor_id = serializers.IntegerField(read_only=True, help_text="The signer: a row of `people`.")
    signer_name = serializers.CharField(
        read_only=True, help_text="The signer's full name as it was when they signed (it never changes afterwards)."
    )

    class Meta:
        model = ManifestEvent
        fields = [
            "action",
            "from_status",
            "to_status",
            "actor",
            "actor_id",
            "signer_name",
            "acting_enterprise",
            "party",
            "role",
            "comment",
            "source",
            "at",
        ]


class ManifestSerializer(serializers.ModelSerializer):
    lines = ManifestLineSerializer(many=True, read_only=True)
    signatures = ManifestEventSerializer(source="events", many=True, read_only=True)
    consignor_name = serializers.CharField(
        source="consignor.name", read_only=True, help_text="Derived: the consignor enterprise's current name."
    )
    carrier_name = serializers.CharField(
        source="carrier.name", read_only=True, help_text="Derived: the carrier enterprise's current name."
    )
    receiver_name = serializers.CharField(
        source="receiver.name", read_only=True, help_text="Derived: the receiver enterprise's current name."
    )

    class Meta:
        model = Manifest
        fields = [
            "id",
            "number",
            "status",
            "waste_class",
            "purpose",
            "consignor",
            "consignor_name",
            "carrier",
            "carrier_name",
            "receiver",
            "receiver_name",
            "vehicle_plate",
            "driver",
            "planned_date",
            "is_cross_province",
            "approval",
            "has_discrepancy",
            "reason",
            "submitted_at",
            "picked_up_at",
            "received_at",
            "completed_at",
            "cancelled_at",
            "rejected_at",
            "lines",
            "signatures",
            "created_at",
            "updated_at",
        ]


class LedgerEntrySerializer(serializers.ModelSerializer):
    waste_code: serializers.SlugRelatedField[WasteCode] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    method: serializers.SlugRelatedField[ManagementMethod] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    manifest = serializers.IntegerField(
        source="manifest_line.manifest_id",
        read_only=True,
        allow_null=True,
        help_text="Derived: the manifest of the line a shipment or receipt was booked from; null for others.",
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "enterprise",
            "facility",
            "waste_code",
            "stage",
            "quantity_t",
            "batch_code",
            "occurred_at",
            "method",
            "manifest",
            "note",
            "source",
            "move",
            "stock_since",
            "created_at",
            "updated_at",
        ]


class LedgerMoveSerializer(serializers.Serializer):
    """A move between two stores as written: its id and its legs (out of one store, into the other)."""

    move = serializers.UUIDField(read_only=True)
    entries = LedgerEntrySerializer(many=True, read_only=True)


class StockSerializer(serializers.ModelSerializer):
    waste_code: serializers.SlugRelatedField[WasteCode] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    waste_class = serializers.CharField(
        source="waste_code.waste_class", read_only=True, help_text="Derived: the waste code's class."
    )
    oldest_on_hand_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Derived: when the oldest tonne on hand came in (FIFO over the ledger); null when none is.",
    )
    age_days = serializers.SerializerMethodField(
        help_text="Derived: age of the oldest tonne on hand (FIFO), in days, at the time of the request."
    )

    class Meta:
        model = StockBalance
        fields = [
            "id",
            "enterprise",
            "facility",
            "waste_code",
            "waste_class",
            "quantity_t",
            "total_in_t",
            "total_out_t",
            "oldest_on_hand_at",
            "age_days",
            "updated_at",
        ]

    def get_age_days(self, balance) -> float | None:
        if balance.oldest_on_hand_at is None:
            return None
        return round((timezone.now() - balance.oldest_on_hand_at).total_seconds() / 86400, 2)
