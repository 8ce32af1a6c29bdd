"""Registry endpoints under /api/v1/: parks, enterprises (with permits and facilities), permits,
facilities, cross-province transfer approvals, the waste catalogue and the administrative divisions.
Enterprise administrators (and enterprise API clients) may update their enterprise's contact details and
its facilities; everything else here is read-only."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from wasteparks.api.filters import CodeFilter, IntegerFilter, SyncFilterSet
from wasteparks.api.serializers import StrictModelSerializer
from wasteparks.api.viewsets import ReadOnlyViewSet, WriteViewSet
from wasteparks.errors import NotPermitted

from . import licensing, services
from .api_inputs import ApprovalInputSerializer, DecisionInputSerializer, PermitInputSerializer, RenewalInputSerializer
from .models import (
    Division,
    Enterprise,
    EnterpriseStatus,
    Facility,
    FacilityKind,
    ManagementClassChange,
    ManagementMethod,
    MethodKind,
    Park,
    Permit,
    PermitKind,
    PermitLine,
    TransferApproval,
    WasteCategory,
    WasteClass,
    WasteCode,
)
from .rules import LicenceAction, LicenceStatus, ManagementClass
from .tenancy import scope_of

# --- serializers ----------------------------------------------------------------------------------


class ParkSerializer(serializers.ModelSerializer):
    division: serializers.SlugRelatedField[Division] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="GB/T 2260 city code: a row of `divisions`, by its code."
    )
    division_name = serializers.CharField(
        source="division.name_zh", read_only=True, help_text="Derived: the division's Chinese name."
    )
    province_code = serializers.CharField(
        source="division.province_code",
        read_only=True,
        help_text="Derived: the 2-digit GB/T 2260 code of the division's province (a row of `divisions`).",
    )

    class Meta:
        model = Park
        fields = [
            "id",
            "name",
            "division",
            "division_name",
            "province_code",
            "utilization_target_pct",
            "created_at",
            "updated_at",
        ]


class PermitLineSerializer(serializers.ModelSerializer):
    waste_code: serializers.SlugRelatedField[WasteCode] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    category: serializers.SlugRelatedField[WasteCategory] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    method: serializers.SlugRelatedField[ManagementMethod] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = PermitLine
        fields = ["id", "waste_code", "category", "method", "annual_capacity_t"]


class PermitSerializer(serializers.ModelSerializer):
    lines = PermitLineSerializer(many=True, read_only=True)

    class Meta:
        model = Permit
        fields = [
            "id",
            "enterprise",
            "kind",
            "number",
            "issuer",
            "valid_from",
            "valid_to",
            "covers_collection",
            "covers_storage",
            "covers_utilization",
            "covers_disposal",
            "revoked_at",
            "status",
            "status_reason",
            "decided_at",
            "renews",
            "lines",
            "created_at",
            "updated_at",
        ]


class FacilitySerializer(StrictModelSerializer):
    class Meta:
        model = Facility
        fields = ["id", "enterprise", "name", "kind", "capacity_t", "active", "cold_store", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "enterprise" in self.fields:
            # Only enterprises the caller can see; others do not exist as far as it is told.
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)
        if self.instance is not None and not isinstance(self.instance, list | tuple) and "enterprise" in self.fields:
            self.fields["enterprise"].read_only = True  # a facility never moves to another enterprise

    def validate_capacity_t(self, value):
        if value < 0:
            raise serializers.ValidationError(_("Capacity cannot be negative."))
        return value


class ManagementClassChangeSerializer(serializers.ModelSerializer):
    """One step of the enterprise's HJ 1259-2022 class history: derived from the ledger (with its grounds),
    set by an officer or lifted (with the officer and the reason)."""

    actor: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ManagementClassChange
        fields = [
            "source", "from_class", "to_class", "derived_class", "largest_annual_t", "first_year", "last_year",
            "operates_own_treatment", "holds_operating_licence", "reason", "actor", "at",
        ]  # fmt: skip


class EnterpriseSerializer(serializers.ModelSerializer):
    park: serializers.PrimaryKeyRelatedField[Park] = serializers.PrimaryKeyRelatedField(read_only=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(["generator", "carrier", "receiver"]),
        read_only=True,
        help_text="Derived: the roles the enterprise holds, from its registration.",
    )
    permits = PermitSerializer(many=True, read_only=True)
    facilities = FacilitySerializer(many=True, read_only=True)
    class_history = ManagementClassChangeSerializer(
        source="class_changes", many=True, read_only=True, help_text="The management class history, newest first."
    )

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "credit_code",
            "name",
            "park",
            "industry_code",
            "address",
            "longitude",
            "latitude",
            "contact_name",
            "contact_phone",
            "contact_email",
            "roles",
            "management_class",
            "management_class_overridden",
            "class_history",
            "status",
            "status_reason",
            "verified_at",
            "permits",
            "facilities",
            "created_at",
            "updated_at",
        ]


class EnterpriseContactSerializer(StrictModelSerializer):
    """What an enterprise may change about itself through the API."""

    class Meta:
        model = Enterprise
        fields = ["contact_name", "contact_phone", "contact_email", "address"]


class WasteCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = WasteCategory
        fields = ["id", "code", "name_zh", "name_en", "active", "updated_at"]


class WasteCodeSerializer(serializers.ModelSerializer):
    category: serializers.SlugRelatedField[WasteCategory] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = WasteCode
        fields = [
            "id", "code", "waste_class", "category", "hazard", "name_zh", "name_en", "industry_source", "editions",
            "valid_from", "valid_to", "source", "active", "updated_at",
        ]  # fmt: skip


class ManagementMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = ManagementMethod
        fields = ["id", "code", "kind", "name_zh", "name_en", "active", "updated_at"]


class DivisionSerializer(serializers.ModelSerializer):
    province_code = serializers.CharField(
        read_only=True, help_text="The 2-digit code of the province (the division itself for a province)."
    )

    class Meta:
        model = Division
        fields = ["id", "code", "name_zh", "name_en", "province_code"]


class TransferApprovalSerializer(serializers.ModelSerializer):
    waste_code: serializers.SlugRelatedField[WasteCode] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    remaining_t = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        read_only=True,
        help_text="Derived: approved_quantity_t − quantity_used_t, what further shipments may still use.",
    )

    class Meta:
        model = TransferApproval
        fields = [
            "id",
            "number",
            "consignor",
            "receiver",
            "waste_code",
            "approved_quantity_t",
            "quantity_used_t",
            "remaining_t",
            "valid_from",
            "valid_to",
            "issuer",
            "status",
            "status_reason",
            "decided_at",
            "created_at",
            "updated_at",
        ]


# --- filters --------------------------------------------------------------------------------------


class ParkFilter(SyncFilterSet):
    division = django_filters.CharFilter(field_name="division__code", help_text="GB/T 2260 city code, e.g. 5206.")
    province = django_filters.CharFilter(field_name="division__province_code", help_text="2-digit province code.")

    class Meta:
        model = Park
        fields = ["division", "province"]


class EnterpriseFilter(SyncFilterSet):
    park = IntegerFilter(field_name="park_id")
    status = django_filters.ChoiceFilter(choices=EnterpriseStatus.choices)
    credit_code = django_filters.CharFilter(field_name="credit_code", lookup_expr="iexact")
    management_class = django_filters.ChoiceFilter(choices=ManagementClass.choices)
    industry_code = django_filters.CharFilter(field_name="industry_code", lookup_expr="startswith")
    role = django_filters.ChoiceFilter(
        choices=[("generator", "generator"), ("carrier", "carrier"), ("receiver", "receiver")],
        method="filter_role",
        help_text="Enterprises holding this role.",
    )

    class Meta:
        model = Enterprise
        fields = ["park", "status", "credit_code", "management_class", "industry_code"]

    def filter_role(self, queryset, name, value):
        return {"generator": queryset.generators, "carrier": queryset.carriers, "receiver": queryset.receivers}[value]()


class PermitFilter(SyncFilterSet):
    enterprise = IntegerFilter(field_name="enterprise_id")
    park = IntegerFilter(field_name="enterprise__park_id")
    kind = django_filters.ChoiceFilter(choices=PermitKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=LicenceStatus.choices)
    number = django_filters.CharFilter(field_name="number", lookup_expr="iexact")
    waste_code = CodeFilter(
        method="filter_waste_code", help_text="Permits with a line naming this waste code or its category."
    )
    valid_on = django_filters.DateFilter(
        method="filter_valid_on", help_text="In force on this date: valid status and within its dates."
    )
    valid_to_before = django_filters.DateFilter(field_name="valid_to", lookup_expr="lte")
    valid_to_after = django_filters.DateFilter(field_name="valid_to", lookup_expr="gte")

    class Meta:
        model = Permit
        fields = ["enterprise", "park", "kind", "number"]

    def filter_waste_code(self, queryset, name, value):
        code = WasteCode.objects.filter(code=value).only("pk", "category_id").first()
        if code is None:
            return queryset.none()
        return queryset.filter(pk__in=PermitLine.objects.covering(code).values("permit_id"))

    def filter_valid_on(self, queryset, name, value):
        return queryset.valid_on(value)


class FacilityFilter(SyncFilterSet):
    enterprise = IntegerFilter(field_name="enterprise_id")
    park = IntegerFilter(field_name="enterprise__park_id")
    kind = django_filters.ChoiceFilter(choices=FacilityKind.choices)

    class Meta:
        model = Facility
        fields = ["enterprise", "park", "kind", "active"]


class WasteCodeFilter(SyncFilterSet):
    waste_class = django_filters.ChoiceFilter(choices=WasteClass.choices)
    category = CodeFilter(field_name="category__code", help_text="e.g. HW08 or SW07.")
    code = CodeFilter(field_name="code", lookup_expr="startswith", help_text="Code or its prefix.")

    class Meta:
        model = WasteCode
        fields = ["waste_class", "category", "code", "active"]


class WasteCategoryFilter(SyncFilterSet):
    code = CodeFilter(field_name="code", lookup_expr="startswith")

    class Meta:
        model = WasteCategory
        fields = ["code", "active"]


class ManagementMethodFilter(SyncFilterSet):
    kind = django_filters.ChoiceFilter(choices=MethodKind.choices)
    code = CodeFilter(field_name="code")

    class Meta:
        model = ManagementMethod
        fields = ["kind", "code", "active"]


class DivisionFilter(SyncFilterSet):
    # Divisions carry no updated_at: the list (a province and its cities) is pulled whole.
    updated_after = None  # type: ignore[assignment]
    code = django_filters.CharFilter(field_name="code", help_text="e.g. 5206.")
    province = django_filters.CharFilter(field_name="province_code", help_text="2-digit province code.")

    class Meta:
        model = Division
        fields = ["code", "province"]


class TransferApprovalFilter(SyncFilterSet):
    consignor = IntegerFilter(field_name="consignor_id")
    receiver = IntegerFilter(field_name="receiver_id")
    enterprise = IntegerFilter(method="filter_enterprise", help_text="Enterprise id as consignor or receiver.")
    waste_code = django_filters.CharFilter(field_name="waste_code__code")
    status = django_filters.MultipleChoiceFilter(choices=LicenceStatus.choices)
    number = django_filters.CharFilter(field_name="number", lookup_expr="iexact")
    valid_on = django_filters.DateFilter(
        method="filter_valid_on", help_text="In force on this date: valid status and within its dates."
    )

    class Meta:
        model = TransferApproval
        fields = ["consignor", "receiver", "waste_code", "number"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(Q(consignor_id=value) | Q(receiver_id=value))

    def filter_valid_on(self, queryset, name, value):
        return queryset.valid_on(value)


# --- viewsets -------------------------------------------------------------------------------------


def _require_enterprise_admin(user, enterprise: Enterprise) -> None:
    if not enterprise.is_administered_by(user):
        raise NotPermitted(_("Only an administrator of %(name)s may change it.") % {"name": enterprise.name})


_permit_lines = Prefetch(
    "lines", queryset=PermitLine.objects.select_related("waste_code", "category", "method").order_by("pk")
)


class ParkViewSet(ReadOnlyViewSet):
    """Industrial parks."""

    queryset = Park.objects.select_related("division")
    serializer_class = ParkSerializer
    filterset_class = ParkFilter
    ordering_fields = ("updated_at", "name")


class ResubmitInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema_view(
    partial_update=extend_schema(
        request=EnterpriseContactSerializer,
        responses=EnterpriseSerializer,
        description="Update the enterprise's contact details. Only its administrators (and its own API "
        "client) may; officers and other enterprises get 403 or 404.",
    )
)
class EnterpriseViewSet(mixins.UpdateModelMixin, ReadOnlyViewSet):
    """Registered enterprises, each with its permits (and their lines) and facilities. No create: an
    enterprise registers through the registration form, so the list route answers POST with 405 and its
    Allow header says so."""

    queryset = Enterprise.objects.prefetch_related(
        Prefetch("permits", queryset=Permit.objects.prefetch_related(_permit_lines).order_by("pk")),
        Prefetch("facilities", queryset=Facility.objects.order_by("pk")),
        Prefetch(
            "class_changes", queryset=ManagementClassChange.objects.select_related("actor").order_by("-at", "-id")
        ),
    )
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    ordering_fields = ("updated_at", "name", "credit_code")
    # POST serves only the steps below (resubmit).
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(
        request=ResubmitInputSerializer,
        responses=EnterpriseSerializer,
        summary="A rejected enterprise's administrator (or its API client) asks for verification again, after "
        "correcting its details. 403 for anybody else who can see it, 409 unless the registration was rejected.",
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        data = self.validated(ResubmitInputSerializer)
        enterprise = services.resubmit_registration(enterprise=self.get_object(), actor=request.user, note=data["note"])
        return self.answer(enterprise)

    def partial_update(self, request, *args, **kwargs):
        enterprise = self.get_object()
        _require_enterprise_admin(request.user, enterprise)
        form = EnterpriseContactSerializer(enterprise, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        for name, value in form.validated_data.items():
            setattr(enterprise, name, value)
        enterprise.full_clean(exclude=["verified_by", "park"])
        enterprise._history_user = request.user
        enterprise._change_reason = _("Contact details updated through the API")
        enterprise.save(update_fields=list(form.validated_data))
        return Response(EnterpriseSerializer(self.get_queryset().get(pk=enterprise.pk)).data)


_DECIDE = extend_schema(
    request=DecisionInputSerializer,
    summary="An officer of the park decides: verify, grant (with the number issued), refuse, suspend, reinstate, "
    "revoke. 404 for another park's officer, 409 when the status does not allow the step.",
)


class LicenceDecisions(WriteViewSet):
    """The officers' steps on a permit or an approval, each a POST to its action (registry.licensing).
    A viewset says how its subject is decided in `decide`."""

    @staticmethod
    def decide(user, subject, **kwargs):
        raise NotImplementedError

    def _decide(self, request, action: str):
        data = self.validated(DecisionInputSerializer)
        subject = self.decide(
            request.user, self.get_object(), action=action, reason=data["reason"], number=data["number"]
        )
        return self.answer(subject)

    @_DECIDE
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._decide(request, LicenceAction.VERIFY)

    @_DECIDE
    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        return self._decide(request, LicenceAction.GRANT)

    @_DECIDE
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._decide(request, LicenceAction.REFUSE)

    @_DECIDE
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._decide(request, LicenceAction.SUSPEND)

    @_DECIDE
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self._decide(request, LicenceAction.REINSTATE)

    @_DECIDE
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self._decide(request, LicenceAction.REVOKE)


@extend_schema_view(
    create=extend_schema(
        request=PermitInputSerializer,
        responses={201: PermitSerializer},
        description="An enterprise's administrator (or its API client) applies for a permit, with its lines; "
        "an officer of the enterprise's park records one from the paper copy (with its number), to verify.",
    )
)
class PermitViewSet(LicenceDecisions):
    """Permits (operating licences, road transport and medical disposal permits) with their lines, their
    status (applied, pending verification, valid, refused, suspended, revoked) and the officers' steps."""

    queryset = Permit.objects.prefetch_related(_permit_lines)
    serializer_class = PermitSerializer
    filterset_class = PermitFilter
    ordering_fields = ("updated_at", "valid_to", "number")
    http_method_names = ["get", "post", "head", "options"]

    @staticmethod
    def decide(user, permit, **kwargs):
        return licensing.decide_permit(permit=permit, officer=user, **kwargs)

    def create(self, request, *args, **kwargs):
        data = self.validated(PermitInputSerializer)
        values = {
            "enterprise": data["enterprise"],
            "kind": data["kind"],
            "issuer": data["issuer"],
            "valid_from": data["valid_from"],
            "valid_to": data["valid_to"],
            "activities": PermitInputSerializer.activities(data),
            "lines": PermitInputSerializer.line_inputs(data["lines"]),
            "note": data["note"],
        }
        if scope_of(request.user).supervises_park(data["enterprise"].park):
            permit = licensing.record_permit(officer=request.user, number=data["number"], **values)
        else:
            permit = licensing.apply_for_permit(applicant=request.user, **values)
        return self.answer(permit, status.HTTP_201_CREATED)

    @extend_schema(
        request=RenewalInputSerializer,
        responses={201: PermitSerializer},
        summary="An officer records the renewed licence: a new permit with the same lines, valid at once.",
    )
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        data = self.validated(RenewalInputSerializer)
        renewed = licensing.renew_permit(permit=self.get_object(), officer=request.user, **data)
        return self.answer(renewed, status.HTTP_201_CREATED)


class FacilityViewSet(WriteViewSet):
    """Storage places and treatment installations. Administrators of the enterprise may add and change
    them; a facility is never deleted (set `active` to false), since ledger entries refer to it."""

    queryset = Facility.objects.all()
    serializer_class = FacilitySerializer
    filterset_class = FacilityFilter
    ordering_fields = ("updated_at", "name")
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        _require_enterprise_admin(self.request.user, serializer.validated_data["enterprise"])
        self._save(serializer)

    def perform_update(self, serializer):
        _require_enterprise_admin(self.request.user, serializer.instance.enterprise)
        self._save(serializer)

    def _save(self, serializer) -> None:
        facility = serializer.save()
        facility.full_clean()


class WasteCategoryViewSet(ReadOnlyViewSet):
    """Waste categories (HW01..HW50, SW01..SW59), loaded from the reference catalogue."""

    queryset = WasteCategory.objects.all()
    serializer_class = WasteCategorySerializer
    filterset_class = WasteCategoryFilter


class WasteCodeViewSet(ReadOnlyViewSet):
    """Waste codes of the National Hazardous Waste List and the general industrial solid waste classes."""

    queryset = WasteCode.objects.select_related("category")
    serializer_class = WasteCodeSerializer
    filterset_class = WasteCodeFilter


class ManagementMethodViewSet(ReadOnlyViewSet):
    """Utilization (R), disposal (D/C) and storage (S) methods."""

    queryset = ManagementMethod.objects.all()
    serializer_class = ManagementMethodSerializer
    filterset_class = ManagementMethodFilter


class DivisionViewSet(ReadOnlyViewSet):
    """GB/T 2260 administrative divisions: the province and its cities that parks lie in. Rows name them
    by code. The list has no updated_at: pull it whole, in id order (`updated_after` does not apply)."""

    queryset = Division.objects.all()
    serializer_class = DivisionSerializer
    filterset_class = DivisionFilter
    sync_ordering = ("id",)


@extend_schema_view(
    create=extend_schema(
        request=ApprovalInputSerializer,
        responses={201: TransferApprovalSerializer},
        description="The consignor's administrator (or its API client) applies for a cross-province transfer; "
        "an officer of the consignor's park records an approval from the paper copy (with its number), to verify.",
    )
)
class TransferApprovalViewSet(LicenceDecisions):
    """Cross-province transfer approvals, seen by their consignor, their receiver and the officers of
    either's park; decided by the officers of the consignor's park. Manifests name them (`approval`)."""

    queryset = TransferApproval.objects.select_related("waste_code")
    serializer_class = TransferApprovalSerializer
    filterset_class = TransferApprovalFilter
    ordering_fields = ("updated_at", "valid_to", "number")
    http_method_names = ["get", "post", "head", "options"]

    @staticmethod
    def decide(user, approval, **kwargs):
        return licensing.decide_approval(approval=approval, officer=user, **kwargs)

    def create(self, request, *args, **kwargs):
        data = dict(self.validated(ApprovalInputSerializer))
        number = data.pop("number")
        if scope_of(request.user).supervises_park(data["consignor"].park):
            approval = licensing.record_approval(officer=request.user, number=number, **data)
        else:
            approval = licensing.apply_for_approval(applicant=request.user, **data)
        return self.answer(approval, status.HTTP_201_CREATED)


routes = [
    ("parks", ParkViewSet, "park"),
    ("enterprises", EnterpriseViewSet, "enterprise"),
    ("permits", PermitViewSet, "permit"),
    ("facilities", FacilityViewSet, "facility"),
    ("waste-categories", WasteCategoryViewSet, "waste-category"),
    ("waste-codes", WasteCodeViewSet, "waste-code"),
    ("management-methods", ManagementMethodViewSet, "management-method"),
    ("divisions", DivisionViewSet, "division"),
    ("transfer-approvals", TransferApprovalViewSet, "transfer-approval"),
]
