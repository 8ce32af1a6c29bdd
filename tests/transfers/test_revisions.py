"""Corrections after a signature: proposed by one party, approved or refused by the others."""

from decimal import Decimal

import pytest
from django.utils import translation

from transfers import services
from transfers.models import ManifestAction, ManifestStatus, RevisionStatus
from transfers.rules import MANIFEST_FLOW, REVISION_FLOW
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_transit(hazardous_draft, advance):
    return advance(hazardous_draft, "in_transit")


def test_an_approved_revision_applies_and_the_history_keeps_both_versions(in_transit, preparer_x, driver_c, clerk_r):
    revision = services.propose_revision(
        manifest=in_transit,
        actor=driver_c,
        changes={"manifest": {"vehicle_plate": "贵D77777"}, "lines": {"1": {"packaging_count": 6}}},
        reason="changed truck at the depot; one more drum counted",
    )
    assert revision.proposing_party == "carrier"
    assert revision.previous == {"manifest": {"vehicle_plate": "贵D12345"}, "lines": {"1": {"packaging_count": 5}}}

    services.decide_revision(revision=revision, actor=preparer_x, approve=True)
    in_transit.refresh_from_db()
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.PENDING  # the receiver has not answered yet
    assert in_transit.vehicle_plate == "贵D12345"

    services.decide_revision(revision=revision, actor=clerk_r, approve=True, comment="agreed")
    in_transit.refresh_from_db()
    revision.refresh_from_db()
    line = in_transit.lines.get()
    assert revision.status == RevisionStatus.APPROVED and revision.decided_at
    assert in_transit.vehicle_plate == "贵D77777" and line.packaging_count == 6
    assert in_transit.status == ManifestStatus.IN_TRANSIT
    plates = list(in_transit.history.order_by("history_id").values_list("vehicle_plate", flat=True))
    assert "贵D12345" in plates and plates[-1] == "贵D77777"
    assert list(line.history.order_by("history_id").values_list("packaging_count", flat=True))[-2:] == [5, 6]
    assert list(in_transit.events.values_list("action", "party")) == [
        ("submit", "consignor"),
        ("pickup", "carrier"),
        ("revision_proposed", "carrier"),
        ("revision_approved", "consignor"),
        ("revision_approved", "receiver"),
    ]


def test_a_refused_revision_changes_nothing(in_transit, driver_c, clerk_r, preparer_x):
    revision = services.propose_revision(
        manifest=in_transit, actor=clerk_r, changes={"lines": {"1": {"physical_form": "sludge"}}}, reason="it is sludge"
    )
    services.decide_revision(revision=revision, actor=preparer_x, approve=False, comment="it is liquid")
    revision.refresh_from_db()
    in_transit.refresh_from_db()
    assert revision.status == RevisionStatus.REFUSED
    assert in_transit.lines.get().physical_form == "liquid"
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as refused:
        services.decide_revision(revision=revision, actor=driver_c, approve=True)
    assert (
        refused.value.message == REVISION_FLOW.refusal(ManifestAction.REVISION_APPROVED, RevisionStatus.REFUSED).message
    )
    assert in_transit.events.last().action == "revision_refused"


def test_the_proposer_cannot_approve_its_own_revision(in_transit, driver_c, admin_c):
    revision = services.propose_revision(
        manifest=in_transit, actor=driver_c, changes={"manifest": {"vehicle_plate": "贵D1"}}, reason="typo"
    )
    with pytest.raises(NotPermitted):
        services.decide_revision(revision=revision, actor=admin_c, approve=True)


def test_outsiders_cannot_propose_or_decide(in_transit, preparer_y, officer_a, driver_c, viewer_x):
    for outsider in (preparer_y, officer_a, viewer_x):
        with pytest.raises(NotPermitted):
            services.propose_revision(
                manifest=in_transit, actor=outsider, changes={"manifest": {"vehicle_plate": "X"}}, reason="x"
            )
    revision = services.propose_revision(
        manifest=in_transit, actor=driver_c, changes={"manifest": {"vehicle_plate": "贵D1"}}, reason="typo"
    )
    for outsider in (preparer_y, officer_a, viewer_x):
        with pytest.raises(NotPermitted):
            services.decide_revision(revision=revision, actor=outsider, approve=True)


def test_a_draft_is_edited_not_revised(hazardous_draft, preparer_x):
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as refused:
        services.propose_revision(
            manifest=hazardous_draft, actor=preparer_x, changes={"manifest": {"vehicle_plate": "X"}}, reason="x"
        )
    assert (
        refused.value.message == MANIFEST_FLOW.refusal(ManifestAction.REVISION_PROPOSED, ManifestStatus.DRAFT).message
    )


def test_declared_quantities_that_moved_stock_are_not_revisable(in_transit, preparer_x):
    with pytest.raises(RuleViolation) as refused:
        services.propose_revision(
            manifest=in_transit, actor=preparer_x, changes={"lines": {"1": {"declared_quantity_t": "9"}}}, reason="x"
        )
    assert refused.value.code == "field_fixed_after_pickup"


def test_a_declared_quantity_revised_before_pickup_is_what_ships(
    hazardous_draft, advance, preparer_x, driver_c, clerk_r, enterprise_x, x_store
):
    from tests.transfers.factories import stock

    manifest = advance(hazardous_draft, "submitted")
    revision = services.propose_revision(
        manifest=manifest,
        actor=preparer_x,
        changes={"lines": {"1": {"declared_quantity_t": "12.5"}}},
        reason="reweighed",
    )
    with pytest.raises(RuleViolation) as refused:
        services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D1")
    assert refused.value.code == "revision_pending"
    services.decide_revision(revision=revision, actor=driver_c, approve=True)
    services.decide_revision(revision=revision, actor=clerk_r, approve=True)
    services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D1")
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("87.5")


@pytest.mark.parametrize(
    "changes",
    [
        {"manifest": {"status": "completed"}},
        {"manifest": {"consignor": 1}},
        {"lines": {"1": {"waste_code": 3}}},
        {"lines": {"9": {"packaging_count": 2}}},
        {"lines": {"1": {"packaging_count": 0}}},
        {"lines": {"1": {"packaging_type": "barrel"}}},
        {},
        {"other": {}},
    ],
)
def test_bad_revisions_are_refused(in_transit, driver_c, changes):
    with pytest.raises(RuleViolation):
        services.propose_revision(manifest=in_transit, actor=driver_c, changes=changes, reason="x")
    assert not in_transit.revisions.exists()


def test_only_one_revision_waits_at_a_time(in_transit, driver_c, preparer_x):
    services.propose_revision(
        manifest=in_transit, actor=driver_c, changes={"manifest": {"vehicle_plate": "A1"}}, reason="x"
    )
    with pytest.raises(TransitionNotAllowed):
        services.propose_revision(
            manifest=in_transit, actor=preparer_x, changes={"manifest": {"vehicle_plate": "B1"}}, reason="y"
        )
