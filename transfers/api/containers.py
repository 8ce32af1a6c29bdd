"""Labelled containers under /api/v1/containers/: list and detail through tenancy, and `scan/` to record a
scan of a label at a step (what services.containers.scan_container decides, answered with the scan)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from registry.models import Facility, WasteCode
from wasteparks.api.viewsets import ReadOnlyViewSet

from ..models import Container, ContainerScan, Manifest, ManifestLine, ScanStep
from ..services.containers import load_containers, scan_container


class ContainerScanSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContainerScan
        fields = ("id", "step", "outcome", "reason", "manifest", "facility", "acting_enterprise", "at")
        read_only_fields = fields


class ContainerSerializer(serializers.ModelSerializer):
    waste_code: serializers.SlugRelatedField[WasteCode] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    manifest = serializers.IntegerField(
        source="manifest_line.manifest_id",
        read_only=True,
        allow_null=True,
        help_text="Derived: the manifest of the line it is loaded on; null while it is not loaded.",
    )
    scans = ContainerScanSerializer(many=True, read_only=True)

    class Meta:
        model = Container
        fields = (
            "id",
            "code",
            "enterprise",
            "ledger_entry",
            "facility",
            "waste_code",
            "quantity_t",
            "packaging_type",
            "physical_form",
            "main_components",
            "generated_on",
            "state",
            "manifest",
            "scans",
            "updated_at",
        )
        read_only_fields = fields


class ScanInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="The container id as printed (HW + ten characters).")
    step = serializers.ChoiceField(choices=ScanStep.choices)
    manifest = serializers.PrimaryKeyRelatedField(queryset=Manifest.objects.none(), required=False, allow_null=True)
    facility = serializers.PrimaryKeyRelatedField(queryset=Facility.objects.none(), required=False, allow_null=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # the schema generator reads the fields without a request
            return
        user = request.user
        # Another tenant's manifest or store reads as a missing one: the same 400 as a wrong id.
        self.fields["manifest"].queryset = Manifest.objects.visible_to(user)
        self.fields["facility"].queryset = Facility.objects.visible_to(user)


class LoadInputSerializer(serializers.Serializer):
    line = serializers.PrimaryKeyRelatedField(
        queryset=ManifestLine.objects.none(), help_text="The manifest line the containers make up."
    )
    codes = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=500, help_text="Container ids."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        # Another tenant's line reads as a missing one.
        self.fields["line"].queryset = ManifestLine.objects.filter(
            manifest__in=Manifest.objects.visible_to(request.user)
        )


class ContainerViewSet(ReadOnlyViewSet):
    """Labelled containers of hazardous waste (一物一码) with their scan log."""

    queryset = Container.objects.select_related("waste_code", "manifest_line").prefetch_related("scans")
    serializer_class = ContainerSerializer
    ordering_fields = ("updated_at",)

    @extend_schema(
        request=ScanInputSerializer,
        responses={201: ContainerScanSerializer},
        summary="Record a scan of a label at a step; a scan that differs from the records answers with "
        "outcome 'discrepancy' and the reason.",
    )
    @extend_schema(
        request=LoadInputSerializer,
        responses={200: ContainerSerializer(many=True)},
        summary="Make a draft or submitted manifest line of labelled containers: stored containers of its "
        "code and store, whose weights sum to the declared quantity (those loaded before are put back).",
    )
    @action(detail=False, methods=["post"], url_path="load", url_name="load")
    def load(self, request):
        data = self.validated(LoadInputSerializer)
        containers = load_containers(line=data["line"], actor=request.user, codes=data["codes"])
        return Response(ContainerSerializer(self._with_scans(containers), many=True).data)

    def _with_scans(self, containers):
        return self.get_queryset().filter(pk__in=[c.pk for c in containers]).order_by("pk")

    @action(detail=False, methods=["post"], url_path="scan", url_name="scan")
    def scan(self, request):
        data = self.validated(ScanInputSerializer)
        result = scan_container(actor=request.user, **data)
        return Response(ContainerScanSerializer(result.scan).data, status=status.HTTP_201_CREATED)
