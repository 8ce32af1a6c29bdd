"""Transfer endpoints: manifests with their signatures, ledger entries and stock.

Enterprise clients act only for their own enterprise; the provincial read:all client reads everything.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from wasteparks.api.viewsets import ReadOnlyViewSet, WriteViewSet

from .. import services
from ..models import LedgerEntry, Manifest, ManifestEvent, ManifestLine, Source, StockBalance
from ..services.ledger import move_stock, reverse_ledger_entry
from .feed import ManifestFeed
from .filters import LedgerEntryFilter, ManifestFilter, StockFilter
from .inputs import (
    CommentSerializer,
    DraftUpdateSerializer,
    LedgerEntryInputSerializer,
    LedgerMoveInputSerializer,
    LedgerReversalSerializer,
    ManifestInputSerializer,
    PickupSerializer,
    ReasonSerializer,
    ReceiptSerializer,
    TreatmentSerializer,
)
from .serializers import LedgerEntrySerializer, LedgerMoveSerializer, ManifestSerializer, StockSerializer


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
    _PAGE_COLUMNS = ("pk", "sync_version", "updated_at", "planned_date")

    def list(self, request, *args, **kwargs):
        # The page is cut on bare rows, then represented by ManifestFeed: same answer as the
        # ModelSerializer, several times faster on large pages (bench/RESULTS.md, B1). On PostgreSQL the
        # feed's page is JSON text the database wrote, which the renderer puts into the answer as it is.
        # Its rows are named tuples, not model instances: a thousand instances cost more than the query.
        queryset = self.filter_queryset(self.get_queryset()).select_related(None).prefetch_related(None)
        page = self.paginate_queryset(queryset.values_list(*self._PAGE_COLUMNS, named=True))
        # Read where the page's ids were read: a replica behind the primary must not lose a row of the page.
        feed = ManifestFeed(using=self.paginator.db)
        return self.get_paginated_response(feed.page([row.pk for row in page]))

    def create(self, request, *args, **kwargs):
        data = self.validated(ManifestInputSerializer)
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
        return self.answer(manifest, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        manifest = self.get_object()
        data = dict(self.validated(DraftUpdateSerializer))
        lines = data.pop("lines", None)
        services.update_draft(
            manifest=manifest,
            actor=request.user,
            changes=data,
            lines=ManifestInputSerializer.line_inputs(lines) if lines is not None else None,
        )
        return self.answer(manifest)

    @_transition(CommentSerializer, "The consignor signs: the number is drawn and the rules checked.")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = self.validated(CommentSerializer)
        manifest = services.submit_manifest(
            manifest=self.get_object(), actor=request.user, comment=data["comment"], source=Source.API
        )
        return self.answer(manifest)

    @_transition(PickupSerializer, "The carrier signs for the load; it leaves the consignor's stock.")
    @action(detail=True, methods=["post"])
    def pickup(self, request, pk=None):
        data = self.validated(PickupSerializer)
        manifest = services.pickup_manifest(
            manifest=self.get_object(),
            actor=request.user,
            vehicle_plate=data["vehicle_plate"],
            driver=data["driver"],
            comment=data["comment"],
            source=Source.API,
        )
        return self.answer(manifest)

    @_transition(ReceiptSerializer, "The receiver records received quantity and acceptance per line.")
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        data = self.validated(ReceiptSerializer)
        lines = [
            services.ReceiptInput(
                line_no=item["line_no"],
                received_quantity_t=item["received_quantity_t"],
                facility=item["receiving_facility"],
                acceptance=item["acceptance"],
                accepted_quantity_t=item["accepted_quantity_t"],
                rejection_reason=item["rejection_reason"],
            )
            for item in data["lines"]
        ]
        manifest = services.receive_manifest(
            manifest=self.get_object(), actor=request.user, lines=lines, comment=data["comment"], source=Source.API
        )
        return self.answer(manifest)

    @_transition(TreatmentSerializer, "The receiver records the method and quantity per line.")
    @action(detail=True, methods=["post"])
    def treat(self, request, pk=None):
        data = self.validated(TreatmentSerializer)
        lines = [
            services.TreatmentInput(
                line_no=item["line_no"], method=item["treatment_method"], quantity_t=item["treated_quantity_t"]
            )
            for item in data["lines"]
        ]
        manifest = services.treat_manifest(
            manifest=self.get_object(), actor=request.user, lines=lines, comment=data["comment"], source=Source.API
        )
        return self.answer(manifest)

    @_transition(ReasonSerializer, "The consignor withdraws the manifest (before pickup only).")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = self.validated(ReasonSerializer)
        manifest = services.cancel_manifest(
            manifest=self.get_object(), actor=request.user, reason=data["reason"], source=Source.API
        )
        return self.answer(manifest)

    @_transition(ReasonSerializer, "The receiver refuses the whole load; it goes back to the consignor.")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self.validated(ReasonSerializer)
        manifest = services.reject_manifest(
            manifest=self.get_object(), actor=request.user, reason=data["reason"], source=Source.API
        )
        return self.answer(manifest)


@extend_schema_view(create=extend_schema(request=LedgerEntryInputSerializer, responses={201: LedgerEntrySerializer}))
class LedgerEntryViewSet(WriteViewSet):
    """Ledger entries. Enterprises record generation and in-house treatment here, and moves between their
    own stores as one action (`move/`); shipments and receipts appear from manifest signatures."""

    queryset = LedgerEntry.objects.select_related("waste_code", "method", "manifest_line")
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerEntryFilter
    ordering_fields = ("updated_at", "occurred_at")
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = self.validated(LedgerEntryInputSerializer)
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
        return self.answer(entry, status.HTTP_201_CREATED)

    @extend_schema(
        request=LedgerReversalSerializer,
        responses={201: LedgerEntrySerializer},
        summary="Reverse a wrong hand-recorded entry; answers with the reversing entry.",
    )
    @action(detail=True, methods=["post"], url_path="reverse", url_name="reverse")
    def reverse_entry(self, request, pk=None):
        data = self.validated(LedgerReversalSerializer)
        entry = reverse_ledger_entry(
            entry=self.get_object(), actor=request.user, reason=data["reason"], source=Source.API
        )
        return self.answer(entry, status.HTTP_201_CREATED)

    @extend_schema(
        request=LedgerMoveInputSerializer,
        responses={201: LedgerMoveSerializer},
        summary="Move waste between two of the enterprise's own stores; answers with the move and its legs.",
    )
    @action(detail=False, methods=["post"], url_path="move", url_name="move")
    def move(self, request):
        data = self.validated(LedgerMoveInputSerializer)
        move = move_stock(
            actor=request.user,
            enterprise=data["enterprise"],
            from_facility=data["from_facility"],
            to_facility=data["to_facility"],
            waste_code=data["waste_code"],
            quantity_t=data["quantity_t"],
            occurred_at=data["occurred_at"],
            reason=data["reason"],
            source=Source.API,
        )
        legs = self.get_queryset().filter(move=move.id).order_by("pk")
        return Response(LedgerMoveSerializer({"move": move.id, "entries": legs}).data, status=status.HTTP_201_CREATED)


class StockViewSet(ReadOnlyViewSet):
    """Stock on hand per enterprise, facility and waste code, with the age of the oldest tonne (FIFO)."""

    queryset = StockBalance.objects.select_related("waste_code").with_oldest_on_hand()
    serializer_class = StockSerializer
    filterset_class = StockFilter
