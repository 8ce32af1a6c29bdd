"""A cross-province approval is charged the declared tonnes at pickup; what the receiver refuses goes back
to the consignor and gives its tonnes back to the approval, and only that."""

from decimal import Decimal

import pytest

from tests import factories as f
from tests.transfers.factories import draft, receipt
from transfers import services

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def approval(enterprise_x, other_province_receiver):
    return f.TransferApprovalFactory(
        consignor=enterprise_x, receiver=other_province_receiver, approved_quantity_t=D("15")
    )


@pytest.fixture
def shipped(approval, parties, preparer_x, driver_c, enterprise_x, carrier_c, other_province_receiver, x_store):
    """A 10 t load from X in Guizhou to Q in Chongqing under the approval, picked up."""
    manifest = draft(
        actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=other_province_receiver, facility=x_store
    )
    services.submit_manifest(manifest=manifest, actor=preparer_x)
    services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")
    approval.refresh_from_db()
    assert approval.quantity_used_t == D("10")
    return manifest


def used(approval):
    approval.refresh_from_db()
    return approval.quantity_used_t


def test_a_load_the_receiver_rejects_gives_its_tonnes_back_to_the_approval(shipped, approval, clerk_q):
    services.reject_manifest(manifest=shipped, actor=clerk_q, reason="not the declared waste")
    assert used(approval) == D("0")


def test_a_rejected_line_gives_its_tonnes_back_to_the_approval(
    approval, parties, preparer_x, driver_c, clerk_q, enterprise_x, carrier_c, other_province_receiver, x_store, q_store
):
    manifest = draft(
        actor=preparer_x,
        consignor=enterprise_x,
        carrier=carrier_c,
        receiver=other_province_receiver,
        facility=x_store,
        lines=[("900-249-08", "6"), ("900-249-08", "4")],
    )
    services.submit_manifest(manifest=manifest, actor=preparer_x)
    services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")
    assert used(approval) == D("10")
    lines = receipt(manifest, q_store, line2={"acceptance": "rejected", "reason": "drums leaking"})
    services.receive_manifest(manifest=manifest, actor=clerk_q, lines=lines)
    assert used(approval) == D("6")


def test_a_partly_refused_line_gives_back_only_what_was_refused(shipped, approval, clerk_q, q_store):
    lines = receipt(
        shipped, q_store, line1={"acceptance": "partially_rejected", "accepted": D("6"), "reason": "two drums leaking"}
    )
    services.receive_manifest(manifest=shipped, actor=clerk_q, lines=lines)
    assert used(approval) == D("6")


def test_tonnes_lost_on_the_way_are_not_given_back(shipped, approval, clerk_q, q_store):
    services.receive_manifest(
        manifest=shipped, actor=clerk_q, lines=receipt(shipped, q_store, line1={"received": D("9")})
    )
    assert used(approval) == D("10")


def test_what_was_weighed_above_the_declaration_gives_back_no_more_than_was_charged(
    shipped, approval, clerk_q, q_store
):
    lines = receipt(
        shipped,
        q_store,
        line1={"received": D("10.5"), "acceptance": "partially_rejected", "accepted": D("7"), "reason": "wet"},
    )
    services.receive_manifest(manifest=shipped, actor=clerk_q, lines=lines)
    assert used(approval) == D("7")


def test_the_given_back_tonnes_carry_the_next_load(
    shipped, approval, clerk_q, preparer_x, driver_c, enterprise_x, carrier_c, other_province_receiver, x_store
):
    services.reject_manifest(manifest=shipped, actor=clerk_q, reason="not the declared waste")
    again = draft(
        actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=other_province_receiver, facility=x_store
    )
    services.submit_manifest(manifest=again, actor=preparer_x)
    services.pickup_manifest(manifest=again, actor=driver_c, vehicle_plate="贵D12345")  # 10 t of 15: fits again
    assert used(approval) == D("10")
