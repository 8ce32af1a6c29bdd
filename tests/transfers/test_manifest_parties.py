"""Every transition attempted by every wrong party is refused (403) and changes nothing."""

from decimal import Decimal

import pytest
from django.utils import translation

from tests.transfers.factories import receipt, treatment
from transfers import services
from transfers.models import LedgerEntry, ManifestAction, ManifestEvent, ManifestStatus, StockBalance
from transfers.rules import MANIFEST_FLOW
from wasteparks.errors import NotPermitted, TransitionNotAllowed

pytestmark = pytest.mark.django_db


def attempt(action, manifest, actor, r_store):
    if action == "submit":
        return services.submit_manifest(manifest=manifest, actor=actor)
    if action == "pickup":
        return services.pickup_manifest(manifest=manifest, actor=actor, vehicle_plate="贵D12345")
    if action == "receive":
        return services.receive_manifest(manifest=manifest, actor=actor, lines=receipt(manifest, r_store))
    if action == "treat":
        return services.treat_manifest(manifest=manifest, actor=actor, lines=treatment(manifest, "R9"))
    if action == "cancel":
        return services.cancel_manifest(manifest=manifest, actor=actor, reason="changed plans")
    if action == "reject":
        return services.reject_manifest(manifest=manifest, actor=actor, reason="wrong drums")
    raise AssertionError(action)


# action -> (status it starts from, who may do it)
RIGHT = {
    "submit": ("draft", {"preparer_x", "admin_x"}),
    "pickup": ("submitted", {"driver_c", "admin_c"}),
    "receive": ("in_transit", {"clerk_r"}),
    "treat": ("received", {"clerk_r"}),
    "cancel": ("submitted", {"preparer_x", "admin_x"}),
    "reject": ("in_transit", {"clerk_r"}),
}
PERSONAS = [
    "preparer_x",
    "admin_x",
    "viewer_x",
    "preparer_y",
    "driver_c",
    "admin_c",
    "clerk_r",
    "officer_a",
    "officer_b",
    "provincial",
    "superuser",
]
CASES = [(action, who) for action, (_, allowed) in RIGHT.items() for who in PERSONAS if who not in allowed]


def snapshot(manifest):
    manifest.refresh_from_db()
    return (
        manifest.status,
        manifest.number,
        manifest.updated_at,
        ManifestEvent.objects.count(),
        LedgerEntry.objects.count(),
        list(StockBalance.objects.order_by("pk").values_list("quantity_t", flat=True)),
    )


@pytest.mark.parametrize(("action", "who"), CASES)
def test_a_wrong_party_cannot_sign(request, action, who, hazardous_draft, advance, r_store, admin_x, admin_c, viewer_x):
    manifest = advance(hazardous_draft, RIGHT[action][0])
    actor = request.getfixturevalue(who)
    before = snapshot(manifest)
    with pytest.raises(NotPermitted) as refused:
        attempt(action, manifest, actor, r_store)
    assert refused.value.http_status == 403
    assert action in refused.value.message
    assert snapshot(manifest) == before


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("submit", "submitted"),
        ("pickup", "draft"),
        ("pickup", "in_transit"),
        ("receive", "submitted"),
        ("receive", "received"),
        ("treat", "in_transit"),
        ("treat", "completed"),
        ("cancel", "in_transit"),
        ("cancel", "completed"),
        ("reject", "received"),
        ("reject", "submitted"),
    ],
)
def test_a_transition_out_of_order_is_refused_with_409(
    action, status, hazardous_draft, advance, r_store, preparer_x, driver_c, clerk_r
):
    manifest = advance(hazardous_draft, status)
    actor = {"submit": preparer_x, "cancel": preparer_x, "pickup": driver_c}.get(action, clerk_r)
    before = snapshot(manifest)
    with pytest.raises(TransitionNotAllowed) as refused:
        attempt(action, manifest, actor, r_store)
    assert refused.value.http_status == 409
    assert snapshot(manifest) == before


def test_the_refusal_names_the_step_the_status_and_what_the_step_needs(hazardous_draft, driver_c, preparer_x):
    with translation.override("en"):
        with pytest.raises(TransitionNotAllowed) as refused:
            services.pickup_manifest(manifest=hazardous_draft, actor=driver_c, vehicle_plate="贵D12345")
        assert refused.value.message == MANIFEST_FLOW.refusal(ManifestAction.PICKUP, ManifestStatus.DRAFT).message
        assert "pick up" in refused.value.message and "“Draft”" in refused.value.message
        assert "“Submitted”" in refused.value.message
        assert refused.value.fields == {"status": ["Draft"]}
        services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
        with pytest.raises(TransitionNotAllowed) as refused:
            services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
        assert refused.value.message == MANIFEST_FLOW.refusal(ManifestAction.SUBMIT, ManifestStatus.SUBMITTED).message


def test_a_read_only_scope_never_signs_even_with_everything_visible(hazardous_draft, preparer_x):
    from registry.tenancy import Scope

    preparer_x._wasteparks_scope = Scope(everything=True, read_only=True)
    with pytest.raises(NotPermitted):
        services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    assert Decimal(hazardous_draft.lines.get().declared_quantity_t) == Decimal("10")
