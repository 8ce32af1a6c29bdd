"""Transfer endpoints under /api/v1/: manifests with their signatures, ledger entries and stock.

Serializers turn bad input into 400s with field messages; services decide who may do what (403),
whether the status allows it (409) and which rule refuses it (400 with the rule's code). Enterprise
clients act only for their own enterprise; the provincial read:all client reads everything.
"""

import re

import django_filters
from django.db import connection
from django.db.models import CharField, F, Func, Prefetch, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

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
from wasteparks.api.filters import IntegerFilter, OffsetDateTimeFilter, StrictBooleanFilter, SyncFilterSet
from wasteparks.api.serializers import StrictSerializer
from wasteparks.api.viewsets import ReadOnlyViewSet, WriteViewSet

from . import rules, services
from .models import (
    Acceptance,
    LedgerEntry,
    LedgerStage,
    Manifest,
    ManifestEvent,
    ManifestLine,
    ManifestStatus,
    PackagingType,
    PhysicalForm,
    Purpose,
    Source,
    StockBalance,
)


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


# --- read serializers -----------------------------------------------------------------------------


class ManifestLineSerializer(serializers.ModelSerializer):
    waste_code = serializers.SlugRelatedField(slug_field="code", read_only=True)
    treatment_method = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

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


class ManifestEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ManifestEvent
        fields = [
            "action",
            "from_status",
            "to_status",
            "actor",
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
    consignor_name = serializers.CharField(source="consignor.name", read_only=True)
    carrier_name = serializers.CharField(source="carrier.name", read_only=True)
    receiver_name = serializers.CharField(source="receiver.name", read_only=True)

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
    waste_code = serializers.SlugRelatedField(slug_field="code", read_only=True)
    method = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    manifest = serializers.IntegerField(source="manifest_line.manifest_id", read_only=True, allow_null=True)

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
            "created_at",
            "updated_at",
        ]


class StockSerializer(serializers.ModelSerializer):
    waste_code = serializers.SlugRelatedField(slug_field="code", read_only=True)
    waste_class = serializers.CharField(source="waste_code.waste_class", read_only=True)
    oldest_on_hand_at = serializers.DateTimeField(read_only=True, allow_null=True)
    age_days = serializers.SerializerMethodField(help_text="Age of the oldest tonne on hand (FIFO), in days.")

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


class ManifestFeed:
    """ManifestSerializer's output for a page of manifests, built from values() rows in three queries.

    The provincial platform pulls every manifest with its lines and signatures; at a thousand a page,
    model instances and per-field serializer calls cost far more than the queries (bench/b1_full_sync.py
    measured it). The representation is exactly ManifestSerializer's (tests/bench compares them):
    decimals as fixed-point strings, date-times in the current time zone in ISO 8601, related rows as
    ids or slugs.
    """

    MANIFEST_FIELDS = tuple(ManifestSerializer.Meta.fields)
    LINE_FIELDS = tuple(ManifestLineSerializer.Meta.fields)
    EVENT_FIELDS = tuple(ManifestEventSerializer.Meta.fields)
    # Model columns read for each output field, when they differ from its name.
    MANIFEST_COLUMNS = {
        "consignor": "consignor_id",
        "carrier": "carrier_id",
        "receiver": "receiver_id",
        "driver": "driver_id",
        "approval": "approval_id",
        "consignor_name": "consignor__name",
        "carrier_name": "carrier__name",
        "receiver_name": "receiver__name",
    }
    LINE_COLUMNS = {
        "waste_code": "waste_code__code",
        "source_facility": "source_facility_id",
        "receiving_facility": "receiving_facility_id",
        "treatment_method": "treatment_method__code",
    }
    EVENT_COLUMNS = {"actor": "actor__username", "acting_enterprise": "acting_enterprise_id"}
    MANIFEST_TIMES = ("submitted_at", "picked_up_at", "received_at", "completed_at", "cancelled_at", "rejected_at",
                      "created_at", "updated_at")  # fmt: skip
    LINE_DECIMALS = ("declared_quantity_t", "received_quantity_t", "accepted_quantity_t", "treated_quantity_t")

    DATE_FIELDS = ("planned_date",)

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        # On PostgreSQL the text of date-times, dates and decimals is written by the database (about a
        # third of a page's time in Python otherwise); elsewhere, or for a zone without a plain name, here.
        key = getattr(self.zone, "key", None)
        self.in_sql = connection.vendor == "postgresql" and bool(key) and _ZONE_NAME.fullmatch(key) is not None

    def page(self, ids: list[int]) -> list[dict]:
        if not ids:
            return []
        # Positional rows and one dict(zip()) each: this loop runs for every row of a full sync.
        lines: dict[int, list[dict]] = {pk: [] for pk in ids}
        names = self.LINE_FIELDS
        rows = self._values(
            ManifestLine.objects.filter(manifest_id__in=ids), names, self.LINE_COLUMNS,
            times=("treated_at",), decimals=self.LINE_DECIMALS,
        )  # fmt: skip
        for values in rows:
            lines[values[-1]].append(dict(zip(names, values, strict=False)))  # drops the trailing manifest_id
        events: dict[int, list[dict]] = {pk: [] for pk in ids}
        names = self.EVENT_FIELDS
        rows = self._values(ManifestEvent.objects.filter(manifest_id__in=ids), names, self.EVENT_COLUMNS, times=("at",))
        for values in rows:
            events[values[-1]].append(dict(zip(names, values, strict=False)))
        names = self.MANIFEST_FIELDS
        columns = [name for name in names if name not in ("lines", "signatures")]
        at_lines, at_signatures = names.index("lines"), names.index("signatures")
        manifests = {}
        rows = self._values(
            Manifest.objects.filter(pk__in=ids), columns, self.MANIFEST_COLUMNS, last="id",
            times=self.MANIFEST_TIMES, dates=self.DATE_FIELDS,
        )  # fmt: skip
        for values in rows:
            values.pop()
            pk = values[0]
            values.insert(at_lines, lines[pk])
            values.insert(at_signatures, events[pk])
            manifests[pk] = dict(zip(names, values, strict=True))
        return [manifests[pk] for pk in ids if pk in manifests]

    def _values(self, queryset, names, columns, last="manifest_id", times=(), decimals=(), dates=()):
        """Rows as lists in the order of `names`, then `last`, in the model's default order, with the
        date-times, dates and decimals already as DRF writes them."""
        fields = []
        for name in names:
            column = columns.get(name, name)
            if self.in_sql and name in times:
                fields.append(_IsoTime(F(column), zone=self.zone.key))
            elif self.in_sql and (name in decimals or name in dates):
                fields.append(Cast(column, TextField()))
            else:
                fields.append(column)
        positions = [] if self.in_sql else [
            (names.index(name), kind)
            for kind, group in (("time", times), ("decimal", decimals), ("date", dates))
            for name in group
        ]  # fmt: skip
        for values in queryset.values_list(*fields, last):
            values = list(values)
            for index, kind in positions:
                value = values[index]
                if kind == "time":
                    values[index] = self._time(value)
                elif value is not None:
                    values[index] = f"{value:f}" if kind == "decimal" else value.isoformat()
            yield values

    def _time(self, value):
        """DRF's DateTimeField: the current time zone, ISO 8601, 'Z' for UTC."""
        if not value:
            return None
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")


class _IsoTime(Func):
    """A timestamptz as DRF's DateTimeField writes it (datetime.isoformat() in `zone`): local wall time,
    microseconds only when not zero, then the zone's offset at that instant, 'Z' when it is zero.
    (Offsets with seconds, local mean time before 1901, are written to the minute.)"""

    output_field = CharField()

    def __init__(self, expression, *, zone: str):
        if _ZONE_NAME.fullmatch(zone) is None:  # the name is written into the SQL: only plain zone names
            raise ValueError(f"not a time zone name: {zone!r}")
        local = f"(%(expressions)s AT TIME ZONE '{zone}')"
        offset = f"({local} - (%(expressions)s AT TIME ZONE 'UTC'))"
        self.template = (
            f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            f" || CASE WHEN mod(date_part('microseconds', {local})::bigint, 1000000) = 0 THEN ''"
            f" ELSE to_char({local}, '.US') END"
            f" || CASE WHEN {offset} = interval '0' THEN 'Z'"
            f" WHEN {offset} > interval '0' THEN '+' || to_char({offset}, 'HH24:MI')"
            f" ELSE '-' || to_char(-{offset}, 'HH24:MI') END"
        )
        super().__init__(expression)


# --- input serializers ----------------------------------------------------------------------------


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
    planned_date = serializers.DateField()
    vehicle_plate = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    approval = _VisibleField(queryset=TransferApproval.objects.all(), required=False, allow_null=True, default=None)
    lines = serializers.ListField(child=LineInputSerializer(), min_length=1, max_length=rules.MAX_LINES_PER_MANIFEST)

    @staticmethod
    def line_inputs(lines: list[dict]) -> list[services.LineInput]:
        return [services.LineInput(**line) for line in lines]


class DraftUpdateSerializer(ManifestInputSerializer):
    """A draft's editable fields; all optional. `lines`, when given, replaces every line."""

    consignor = None

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


class LedgerEntryInputSerializer(StrictSerializer):
    enterprise = _VisibleField(queryset=Enterprise.objects.all())
    facility = _VisibleField(queryset=Facility.objects.all())
    waste_code = _code_field()
    stage = serializers.ChoiceField(sorted(rules.MANUAL_STAGES))
    quantity_t = tonnes()
    occurred_at = serializers.DateTimeField(required=False, default=None)
    batch_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    method = _method_field(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# --- filters --------------------------------------------------------------------------------------


class ManifestFilter(SyncFilterSet):
    number = django_filters.CharFilter(field_name="number", lookup_expr="startswith")
    status = django_filters.MultipleChoiceFilter(choices=ManifestStatus.choices)
    waste_class = django_filters.ChoiceFilter(choices=WasteClass.choices)
    party = IntegerFilter(method="filter_party", help_text="Enterprise id in any of the three roles.")
    consignor = IntegerFilter(field_name="consignor_id")
    carrier = IntegerFilter(field_name="carrier_id")
    receiver = IntegerFilter(field_name="receiver_id")
    code = django_filters.CharFilter(method="filter_code", help_text="Manifests with a line of this waste code.")
    planned_from = django_filters.DateFilter(field_name="planned_date", lookup_expr="gte")
    planned_to = django_filters.DateFilter(field_name="planned_date", lookup_expr="lte")
    submitted_after = OffsetDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = OffsetDateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    has_discrepancy = StrictBooleanFilter()

    class Meta:
        model = Manifest
        fields = ["number", "status", "waste_class", "purpose", "is_cross_province"]

    def filter_party(self, queryset, name, value):
        return queryset.filter(Q(consignor_id=value) | Q(carrier_id=value) | Q(receiver_id=value))

    def filter_code(self, queryset, name, value):
        return queryset.filter(pk__in=ManifestLine.objects.filter(waste_code__code=value).values("manifest_id"))


class LedgerEntryFilter(SyncFilterSet):
    enterprise = IntegerFilter(field_name="enterprise_id")
    facility = IntegerFilter(field_name="facility_id")
    waste_code = django_filters.CharFilter(field_name="waste_code__code")
    stage = django_filters.MultipleChoiceFilter(choices=LedgerStage.choices)
    manifest = IntegerFilter(field_name="manifest_line__manifest_id")
    occurred_after = OffsetDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = OffsetDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = LedgerEntry
        fields = ["enterprise", "facility", "stage"]


class StockFilter(SyncFilterSet):
    enterprise = IntegerFilter(field_name="enterprise_id")
    facility = IntegerFilter(field_name="facility_id")
    waste_code = django_filters.CharFilter(field_name="waste_code__code")
    waste_class = django_filters.ChoiceFilter(field_name="waste_code__waste_class", choices=WasteClass.choices)
    on_hand = StrictBooleanFilter(method="filter_on_hand", help_text="Only balances above 0 t.")

    class Meta:
        model = StockBalance
        fields = ["enterprise", "facility"]

    def filter_on_hand(self, queryset, name, value):
        return queryset.filter(quantity_t__gt=0) if value else queryset.filter(quantity_t=0)


# --- viewsets -------------------------------------------------------------------------------------


def _transition(request_serializer, summary: str):
    return extend_schema(request=request_serializer, responses=ManifestSerializer, summary=summary)


@extend_schema_view(
    create=extend_schema(request=ManifestInputSerializer, responses={201: ManifestSerializer}),
    partial_update=extend_schema(request=DraftUpdateSerializer, responses=ManifestSerializer),
)
class ManifestViewSet(WriteViewSet):
    """Transfer manifests with their lines and signature trail. Drafts are created and edited here;
    each signature is a POST to its action."""

    queryset = Manifest.objects.select_related("consignor", "carrier", "receiver").prefetch_related(
        Prefetch("lines", queryset=ManifestLine.objects.select_related("waste_code", "treatment_method")),
        Prefetch("events", queryset=ManifestEvent.objects.select_related("actor")),
    )
    serializer_class = ManifestSerializer
    filterset_class = ManifestFilter
    ordering_fields = ("updated_at", "planned_date")
    http_method_names = ["get", "post", "patch", "head", "options"]

    # What the keyset paginator reads from a page's rows: the pk and any column it may order by.
    _PAGE_COLUMNS = ("id", "updated_at", "planned_date")

    def list(self, request, *args, **kwargs):
        # The page is cut on bare rows, then represented by ManifestFeed: same answer as the
        # ModelSerializer, several times faster on large pages (bench/RESULTS.md, B1).
        queryset = self.filter_queryset(self.get_queryset()).select_related(None).prefetch_related(None)
        page = self.paginate_queryset(queryset.only(*self._PAGE_COLUMNS))
        return self.get_paginated_response(ManifestFeed().page([manifest.pk for manifest in page]))

    def _answer(self, manifest: Manifest, code: int = status.HTTP_200_OK) -> Response:
        return Response(ManifestSerializer(self.get_queryset().get(pk=manifest.pk)).data, status=code)

    def _input(self, serializer_class):
        if self.detail:
            self.get_object()  # tenancy first: another's manifest is a 404 whatever the body says
        form = serializer_class(data=self.request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return form.validated_data

    def create(self, request, *args, **kwargs):
        data = self._input(ManifestInputSerializer)
        manifest = services.create_manifest(
            actor=request.user,
            consignor=data["consignor"],
            carrier=data["carrier"],
            receiver=data["receiver"],
            waste_class=data["waste_class"],
            purpose=data["purpose"],
            planned_date=data["planned_date"],
            vehicle_plate=data["vehicle_plate"],
            approval=data["approval"],
            lines=ManifestInputSerializer.line_inputs(data["lines"]),
        )
        return self._answer(manifest, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        manifest = self.get_object()
        data = dict(self._input(DraftUpdateSerializer))
        lines = data.pop("lines", None)
        services.update_draft(
            manifest=manifest,
            actor=request.user,
            changes=data,
            lines=ManifestInputSerializer.line_inputs(lines) if lines is not None else None,
        )
        return self._answer(manifest)

    @_transition(CommentSerializer, "The consignor signs: the number is drawn and the rules checked.")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = self._input(CommentSerializer)
        manifest = services.submit_manifest(
            manifest=self.get_object(), actor=request.user, comment=data["comment"], source=Source.API
        )
        return self._answer(manifest)

    @_transition(PickupSerializer, "The carrier signs for the load; it leaves the consignor's stock.")
    @action(detail=True, methods=["post"])
    def pickup(self, request, pk=None):
        data = self._input(PickupSerializer)
        manifest = services.pickup_manifest(
            manifest=self.get_object(),
            actor=request.user,
            vehicle_plate=data["vehicle_plate"],
            driver=data["driver"],
            comment=data["comment"],
            source=Source.API,
        )
        return self._answer(manifest)

    @_transition(ReceiptSerializer, "The receiver records received quantity and acceptance per line.")
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        data = self._input(ReceiptSerializer)
        lines = [
            services.ReceiptInput(
                line_no=item["line"],
                received_quantity_t=item["received_quantity_t"],
                facility=item["facility"],
                acceptance=item["acceptance"],
                accepted_quantity_t=item["accepted_quantity_t"],
                rejection_reason=item["rejection_reason"],
            )
            for item in data["lines"]
        ]
        manifest = services.receive_manifest(
            manifest=self.get_object(), actor=request.user, lines=lines, comment=data["comment"], source=Source.API
        )
        return self._answer(manifest)

    @_transition(TreatmentSerializer, "The receiver records the method and quantity per line.")
    @action(detail=True, methods=["post"])
    def treat(self, request, pk=None):
        data = self._input(TreatmentSerializer)
        lines = [
            services.TreatmentInput(line_no=item["line"], method=item["method"], quantity_t=item["quantity_t"])
            for item in data["lines"]
        ]
        manifest = services.treat_manifest(
            manifest=self.get_object(), actor=request.user, lines=lines, comment=data["comment"], source=Source.API
        )
        return self._answer(manifest)

    @_transition(ReasonSerializer, "The consignor withdraws the manifest (before pickup only).")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = self._input(ReasonSerializer)
        manifest = services.cancel_manifest(
            manifest=self.get_object(), actor=request.user, reason=data["reason"], source=Source.API
        )
        return self._answer(manifest)

    @_transition(ReasonSerializer, "The receiver refuses the whole load; it goes back to the consignor.")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self._input(ReasonSerializer)
        manifest = services.reject_manifest(
            manifest=self.get_object(), actor=request.user, reason=data["reason"], source=Source.API
        )
        return self._answer(manifest)


@extend_schema_view(create=extend_schema(request=LedgerEntryInputSerializer, responses={201: LedgerEntrySerializer}))
class LedgerEntryViewSet(WriteViewSet):
    """Ledger entries. Enterprises record generation, storage and in-house treatment here; shipments
    and receipts appear from manifest signatures."""

    queryset = LedgerEntry.objects.select_related("waste_code", "method", "manifest_line")
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerEntryFilter
    ordering_fields = ("updated_at", "occurred_at")
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        form = LedgerEntryInputSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        entry = services.record_ledger_entry(
            actor=request.user,
            enterprise=data["enterprise"],
            facility=data["facility"],
            waste_code=data["waste_code"],
            stage=data["stage"],
            quantity_t=data["quantity_t"],
            occurred_at=data["occurred_at"],
            batch_code=data["batch_code"],
            method=data["method"],
            note=data["note"],
            source=Source.API,
        )
        return Response(
            LedgerEntrySerializer(self.get_queryset().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED
        )


class StockViewSet(ReadOnlyViewSet):
    """Stock on hand per enterprise, facility and waste code, with the age of the oldest tonne (FIFO)."""

    queryset = StockBalance.objects.select_related("waste_code").with_oldest_on_hand()
    serializer_class = StockSerializer
    filterset_class = StockFilter


routes = [
    ("manifests", ManifestViewSet, "manifest"),
    ("ledger-entries", LedgerEntryViewSet, "ledger-entry"),
    ("stock", StockViewSet, "stock"),
]
