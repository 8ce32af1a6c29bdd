"""A receiver accepts a load only within its licence's annual scale: a receipt that would bring the
covering licence line's year to 120 % of its scale (art. 11(4) of the Measures for the Administration of
Hazardous Waste Operating Licences: 20 % beyond needs a new licence) is refused with the numbers, on the
page and through the API alike, and changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import PermitLine
from tests import factories as f
from tests.api.conftest import error_of
from tests.transfers.factories import draft, generate, receipt, stock
from tests.transfers.test_api import MANIFESTS, client_for
from transfers import services
from transfers.models import LedgerEntry, LedgerStage, Manifest, ManifestStatus
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def licence_line(receiver_r):
    """R's one licence line: 900-249-08 with R9, 50 t a year."""
    line = PermitLine.objects.get(permit__enterprise=receiver_r)
    line.annual_capacity_t = D("50")
    line.save()
    return line


@pytest.fixture
def shipment(parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, advance):
    """shipment(quantity, code): a hazardous load from X to R, picked up and on its way."""

    def make(quantity, code="900-249-08", **kwargs):
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            code=code,
            quantity=quantity,
            **kwargs,
        )
        return advance(manifest, "in_transit")

    return make


def receive(manifest, clerk, store, **by_line):
    return services.receive_manifest(manifest=manifest, actor=clerk, lines=receipt(manifest, store, **by_line))


def test_a_receipt_reaching_120_percent_of_the_licence_line_is_refused_with_the_numbers(
    shipment, licence_line, clerk_r, r_store, receiver_r
):
    receive(shipment("50"), clerk_r, r_store)  # the whole scale: allowed
    second = shipment("10")  # 60 t: 120 %
    with pytest.raises(RuleViolation) as refused:
        receive(second, clerk_r, r_store)
    message = refused.value.message
    assert refused.value.code == "capacity_exceeded"
    assert licence_line.permit.number in message
    assert "900-249-08 R9" in message
    assert "50.0000 t a year" in message
    assert f"50.0000 t already received in {timezone.localdate().year}" in message
    assert "10.0000 t asked" in message and "60.0000 t" in message
    second.refresh_from_db()
    assert second.status == ManifestStatus.IN_TRANSIT
    assert second.lines.get().received_quantity_t is None
    assert not LedgerEntry.objects.filter(manifest_line__manifest=second, stage=LedgerStage.RECEIVED).exists()
    assert stock(receiver_r, r_store, "900-249-08") == D("50")


def test_a_receipt_just_below_120_percent_is_accepted(shipment, licence_line, clerk_r, r_store, receiver_r):
    receive(shipment("50"), clerk_r, r_store)
    second = shipment("10")
    receive(
        second,
        clerk_r,
        r_store,
        line1={"acceptance": "partially_rejected", "accepted": D("9.9999"), "reason": "one drum leaking"},
    )
    second.refresh_from_db()
    assert second.status == ManifestStatus.RECEIVED
    assert stock(receiver_r, r_store, "900-249-08") == D("59.9999")


def test_refusing_the_excess_lets_the_rest_of_the_load_in(shipment, licence_line, clerk_r, r_store):
    receive(shipment("55"), clerk_r, r_store)
    second = shipment("10")
    with pytest.raises(RuleViolation):
        receive(second, clerk_r, r_store)
    receive(
        second,
        clerk_r,
        r_store,
        line1={"acceptance": "partially_rejected", "accepted": D("4"), "reason": "licence full"},
    )
    assert Manifest.objects.get(pk=second.pk).status == ManifestStatus.RECEIVED


def test_lines_of_one_receipt_covered_by_the_same_licence_line_add_up(
    shipment, licence_line, clerk_r, r_store, preparer_x, x_store
):
    licence_line.waste_code = None
    licence_line.category = f.waste_code("900-249-08").category  # the whole of HW08
    licence_line.save()
    generate(actor=preparer_x, facility=x_store, code="900-210-08", quantity="100")
    both = shipment(None, lines=[("900-249-08", "40"), ("900-210-08", "20")])  # 60 t together
    with pytest.raises(RuleViolation) as refused:
        receive(both, clerk_r, r_store)
    assert "HW08 R9" in refused.value.message
    assert "0.0000 t already received" in refused.value.message
    assert "60.0000 t asked" in refused.value.message


def test_what_was_received_in_an_earlier_year_does_not_count(shipment, licence_line, clerk_r, r_store):
    first = receive(shipment("50"), clerk_r, r_store)
    Manifest.objects.filter(pk=first.pk).update(received_at=first.received_at - timedelta(days=366))
    receive(shipment("50"), clerk_r, r_store)  # the new year's whole scale again


def test_receipts_of_another_purpose_do_not_count_against_a_utilization_line(
    shipment, licence_line, clerk_r, r_store, receiver_r
):
    f.PermitLineFactory(permit=licence_line.permit, method=f.method("D10"), annual_capacity_t=D("1000"))
    receive(shipment("40", purpose="disposal"), clerk_r, r_store)  # against the D10 line
    receive(shipment("50"), clerk_r, r_store)  # the R9 line has taken nothing yet


def test_the_receipt_page_shows_the_refusal_and_changes_nothing(
    client, shipment, licence_line, clerk_r, r_store, receiver_r
):
    receive(shipment("50"), clerk_r, r_store)
    second = shipment("10")
    client.force_login(clerk_r)
    data = {
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-0-line_no": "1",
        "line-0-received_quantity_t": "10",
        "line-0-acceptance": "accepted",
        "line-0-facility": str(r_store.pk),
    }
    response = client.post(reverse("transfers:manifest_receive", args=[second.pk]), data)
    assert response.status_code == 400
    assert licence_line.permit.number in response.content.decode()
    second.refresh_from_db()
    assert second.status == ManifestStatus.IN_TRANSIT
    assert stock(receiver_r, r_store, "900-249-08") == D("50")


def test_the_api_answers_the_refusal_with_the_error_shape_and_writes_nothing(
    shipment, licence_line, clerk_r, r_store, receiver_r
):
    receive(shipment("50"), clerk_r, r_store)
    second = shipment("10")
    erp_r = client_for(receiver_r, "R ERP")
    entries = LedgerEntry.objects.count()
    response = erp_r.post(
        f"{MANIFESTS}{second.pk}/receive/",
        {"lines": [{"line": 1, "received_quantity_t": "10", "acceptance": "accepted", "facility": r_store.pk}]},
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "capacity_exceeded"
    assert licence_line.permit.number in error["message"] and "900-249-08 R9" in error["message"]
    second.refresh_from_db()
    assert second.status == ManifestStatus.IN_TRANSIT
    assert LedgerEntry.objects.count() == entries
    assert not second.events.filter(action="receive").exists()


def test_a_receivers_correction_that_accepts_more_is_held_to_the_same_limit(
    shipment, licence_line, clerk_r, r_store, preparer_x
):
    """A correction by revision must not take the licence past what the receipt itself could not."""
    load = shipment("60")
    receive(load, clerk_r, r_store, line1={"acceptance": "partially_rejected", "accepted": D("45"), "reason": "桶破损"})
    with pytest.raises(RuleViolation) as refused:
        services.propose_revision(
            manifest=load,
            actor=clerk_r,
            changes={"lines": {"1": {"accepted_quantity_t": "60"}}},
            reason="复核后全部接收",
        )
    assert refused.value.code == "capacity_exceeded"
    load.refresh_from_db()
    assert load.lines.get().accepted_quantity_t == D("45")
    assert not load.revisions.exists()
