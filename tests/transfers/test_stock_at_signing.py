"""The consignor's stock is checked when it signs a manifest, not first by the driver at pickup: a signature
for more than the source store holds (beyond what other signed manifests already wait to take) is refused,
naming the code, the stock and the quantity asked, on the page and in the API alike."""

from decimal import Decimal

import pytest
from django.urls import reverse

from registry.clients import create_api_client
from registry.models import ApiScope
from tests.api.conftest import bearer, error_of
from tests.transfers.factories import draft
from transfers import services
from transfers.models import Manifest, ManifestEvent, ManifestStatus
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db

HW = "900-249-08"


@pytest.fixture
def prepare(parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store):
    """prepare(quantity) or prepare(lines=[...]): a draft from X's store, which holds 100 t of 900-249-08."""

    def _prepare(quantity: str = "10", **extra) -> Manifest:
        return draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            quantity=quantity,
            **extra,
        )

    return _prepare


def refused_signature(manifest, actor) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        services.submit_manifest(manifest=manifest, actor=actor)
    assert refused.value.code == "insufficient_stock"
    manifest.refresh_from_db()
    assert (manifest.status, manifest.number, manifest.submitted_at) == (ManifestStatus.DRAFT, None, None)
    assert not ManifestEvent.objects.filter(manifest=manifest).exists()
    return refused.value


def test_the_consignor_cannot_sign_for_more_than_its_store_holds(prepare, preparer_x):
    refusal = refused_signature(prepare("100.0001"), preparer_x)
    assert HW in refusal.message and "100.0001" in refusal.message and "100.0000" in refusal.message
    assert list(refusal.fields) == ["lines[1].declared_quantity_t"]


def test_signing_for_exactly_what_the_store_holds_is_accepted(prepare, preparer_x):
    manifest = services.submit_manifest(manifest=prepare("100"), actor=preparer_x)
    assert manifest.status == ManifestStatus.SUBMITTED


def test_stock_already_on_a_signed_manifest_is_not_promised_twice(prepare, preparer_x, driver_c):
    first, second = prepare("60"), prepare("60")
    services.submit_manifest(manifest=first, actor=preparer_x)
    refusal = refused_signature(second, preparer_x)
    assert "60.0000 t is already on signed manifests" in refusal.message
    assert "40.0000 t available" in refusal.message

    services.pickup_manifest(manifest=first, actor=driver_c, vehicle_plate="贵D12345")  # 40 t left in the store
    refused_signature(second, preparer_x)


def test_cancelling_a_signed_manifest_frees_its_stock_for_another(prepare, preparer_x):
    first, second = prepare("60"), prepare("60")
    services.submit_manifest(manifest=first, actor=preparer_x)
    services.cancel_manifest(manifest=first, actor=preparer_x, reason="truck broke down")
    assert services.submit_manifest(manifest=second, actor=preparer_x).status == ManifestStatus.SUBMITTED


def test_lines_of_one_manifest_from_the_same_store_add_up(prepare, preparer_x):
    refusal = refused_signature(prepare(lines=[(HW, "60"), (HW, "50")]), preparer_x)
    assert "110" in refusal.message


def test_a_revision_raising_the_declared_quantity_is_held_to_the_stock(prepare, preparer_x, driver_c, clerk_r):
    manifest = services.submit_manifest(manifest=prepare("10"), actor=preparer_x)
    revision = services.propose_revision(
        manifest=manifest,
        actor=preparer_x,
        changes={"lines": {"1": {"declared_quantity_t": "100.5"}}},
        reason="reweighed",
    )
    services.decide_revision(revision=revision, actor=driver_c, approve=True)
    with pytest.raises(RuleViolation) as refused:
        services.decide_revision(revision=revision, actor=clerk_r, approve=True)
    assert refused.value.code == "insufficient_stock"
    revision.refresh_from_db()
    assert revision.status == "pending"
    assert manifest.lines.get().declared_quantity_t == Decimal("10")


def test_the_signature_page_shows_the_refusal_and_signs_nothing(client, prepare, preparer_x):
    manifest = prepare("150")
    client.force_login(preparer_x)
    response = client.post(reverse("transfers:manifest_sign", args=[manifest.pk, "submit"]), {"comment": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not enough stock to sign" in page and HW in page and "150" in page
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.DRAFT and manifest.number is None


def test_the_api_refuses_the_signature_with_the_error_shape(prepare, enterprise_x):
    manifest = prepare("150")
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    response = bearer(token).post(f"/api/v1/manifests/{manifest.pk}/submit/", {})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "insufficient_stock"
    assert HW in error["message"] and "150" in error["message"] and "100.0000" in error["message"]
    manifest.refresh_from_db()
    assert (manifest.status, manifest.number) == (ManifestStatus.DRAFT, None)
    assert not ManifestEvent.objects.exists()
