"""Cancelling is possible only before pickup; the receiver may refuse the whole load in transit."""

from decimal import Decimal

import pytest

from tests.transfers.factories import stock
from transfers import services
from transfers.models import LedgerEntry, ManifestStatus, StockBalance
from wasteparks.errors import RuleViolation, TransitionNotAllowed

pytestmark = pytest.mark.django_db


def test_a_draft_can_be_cancelled_without_a_reason(hazardous_draft, preparer_x):
    services.cancel_manifest(manifest=hazardous_draft, actor=preparer_x)
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.CANCELLED
    assert hazardous_draft.number is None
    assert hazardous_draft.cancelled_at is not None
    assert hazardous_draft.events.get().to_status == "cancelled"


def test_a_submitted_manifest_is_cancelled_with_a_reason_and_keeps_its_number(hazardous_draft, advance, preparer_x):
    manifest = advance(hazardous_draft, "submitted")
    number = manifest.number
    with pytest.raises(RuleViolation):
        services.cancel_manifest(manifest=manifest, actor=preparer_x, reason=" ")
    services.cancel_manifest(manifest=manifest, actor=preparer_x, reason="the receiver's kiln is down")
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.CANCELLED
    assert manifest.number == number
    assert manifest.reason == "the receiver's kiln is down"
    assert list(manifest.events.values_list("action", flat=True)) == ["submit", "cancel"]
    assert not LedgerEntry.objects.filter(manifest_line__manifest=manifest).exists()


def test_cancelling_after_pickup_is_refused(hazardous_draft, advance, preparer_x, enterprise_x, x_store):
    manifest = advance(hazardous_draft, "in_transit")
    with pytest.raises(TransitionNotAllowed):
        services.cancel_manifest(manifest=manifest, actor=preparer_x, reason="too late")
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.IN_TRANSIT
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")


def test_a_rejected_load_goes_back_into_the_consignors_stock(
    hazardous_draft, advance, clerk_r, enterprise_x, x_store, receiver_r, r_store
):
    manifest = advance(hazardous_draft, "in_transit")
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")
    services.reject_manifest(manifest=manifest, actor=clerk_r, reason="not the declared waste: contains solvent")
    manifest.refresh_from_db()
    line = manifest.lines.get()
    assert manifest.status == ManifestStatus.REJECTED
    assert manifest.rejected_at is not None
    assert line.acceptance == "rejected"
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("100")
    assert stock(receiver_r, r_store, "900-249-08") == Decimal("0")
    assert list(
        LedgerEntry.objects.filter(manifest_line=line).order_by("id").values_list("enterprise", "stage", "quantity_t")
    ) == [(enterprise_x.pk, "shipped", Decimal("10.0000")), (enterprise_x.pk, "received", Decimal("10.0000"))]
    event = manifest.events.last()
    assert (event.action, event.from_status, event.to_status, event.comment) == (
        "reject",
        "in_transit",
        "rejected",
        "not the declared waste: contains solvent",
    )
    assert not StockBalance.objects.drifted().exists()


def test_a_rejection_needs_a_reason(hazardous_draft, advance, clerk_r, enterprise_x, x_store):
    manifest = advance(hazardous_draft, "in_transit")
    with pytest.raises(RuleViolation) as refused:
        services.reject_manifest(manifest=manifest, actor=clerk_r, reason="")
    assert refused.value.code == "reason_required"
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.IN_TRANSIT
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")
