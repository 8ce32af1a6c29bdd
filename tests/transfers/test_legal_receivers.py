"""Whom a consignor may legally send a waste code to on a day (transfers.services.receivers).

Personas: Enterprise X (Tongren, Guizhou) ships 900-249-08 waste mineral oil; Receiver R (same park)
holds a hazardous waste operating licence for it with R9; Receiver Q is in Chongqing.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import PermitKind
from registry.rules import EnterpriseStatus
from tests import factories as f
from tests.transfers.test_views_portal import manifest_data
from transfers.models import Manifest
from transfers.services.receivers import legal_receivers

pytestmark = pytest.mark.django_db

OIL = "900-249-08"


def names(options):
    return [option.enterprise.name for option in options]


def test_a_receiver_licensed_for_the_code_is_offered_with_its_method_kind_room_and_permit(enterprise_x, receiver_r):
    [option] = legal_receivers(consignor=enterprise_x, waste_code=f.waste_code(OIL), day=timezone.localdate())
    permit = receiver_r.permits.get()
    assert option.enterprise == receiver_r
    assert option.method_kinds == {"utilization"}
    assert option.remaining_t == Decimal("1000")
    assert option.permit_numbers == (permit.number,)
    assert not option.is_cross_province


def test_a_receiver_whose_licence_does_not_cover_the_code_is_not_offered(enterprise_x, receiver_r):
    other = f.waste_code("900-041-49")
    assert legal_receivers(consignor=enterprise_x, waste_code=other, day=timezone.localdate()) == []


def test_a_licence_expiring_mid_window_stops_offering_the_receiver_the_day_after(enterprise_x, receiver_r):
    today = timezone.localdate()
    receiver_r.permits.update(valid_to=today + timedelta(days=10))
    code = f.waste_code(OIL)
    assert names(legal_receivers(consignor=enterprise_x, waste_code=code, day=today + timedelta(days=10))) == [
        receiver_r.name
    ]
    assert legal_receivers(consignor=enterprise_x, waste_code=code, day=today + timedelta(days=11)) == []


def test_a_suspended_receiver_is_not_offered(enterprise_x, receiver_r):
    receiver_r.status = EnterpriseStatus.SUSPENDED
    receiver_r.save(update_fields=["status"])
    assert legal_receivers(consignor=enterprise_x, waste_code=f.waste_code(OIL), day=timezone.localdate()) == []


def test_a_revoked_licence_is_not_offered(enterprise_x, receiver_r):
    receiver_r.permits.update(revoked_at=timezone.now())
    assert legal_receivers(consignor=enterprise_x, waste_code=f.waste_code(OIL), day=timezone.localdate()) == []


def test_a_quantity_beyond_the_room_left_on_the_licence_excludes_the_receiver(enterprise_x, receiver_r):
    code, today = f.waste_code(OIL), timezone.localdate()
    assert names(legal_receivers(consignor=enterprise_x, waste_code=code, day=today, quantity=Decimal("1000")))
    assert legal_receivers(consignor=enterprise_x, waste_code=code, day=today, quantity=Decimal("1000.5")) == []


def test_a_receiver_in_another_province_needs_an_approval_in_force_for_the_consignor_and_code(
    enterprise_x, receiver_r, other_province_receiver
):
    code, today = f.waste_code(OIL), timezone.localdate()
    assert names(legal_receivers(consignor=enterprise_x, waste_code=code, day=today)) == [receiver_r.name]
    f.TransferApprovalFactory(
        consignor=enterprise_x, receiver=other_province_receiver, waste_code=code, approved_quantity_t=Decimal("50")
    )
    options = {o.enterprise.name: o for o in legal_receivers(consignor=enterprise_x, waste_code=code, day=today)}
    assert set(options) == {receiver_r.name, other_province_receiver.name}
    assert options[other_province_receiver.name].is_cross_province
    # The approval allows 50 t: a larger load needs another approval.
    larger = legal_receivers(consignor=enterprise_x, waste_code=code, day=today, quantity=Decimal("60"))
    assert names(larger) == [receiver_r.name]


def test_an_approval_for_another_consignor_does_not_open_the_other_province(
    enterprise_x, enterprise_y, receiver_r, other_province_receiver
):
    code = f.waste_code(OIL)
    f.TransferApprovalFactory(consignor=enterprise_y, receiver=other_province_receiver, waste_code=code)
    assert names(legal_receivers(consignor=enterprise_x, waste_code=code, day=timezone.localdate())) == [
        receiver_r.name
    ]


def test_the_answer_takes_the_same_number_of_queries_for_one_receiver_or_many(enterprise_x, receiver_r, park_a):
    code, today = f.waste_code(OIL), timezone.localdate()
    with CaptureQueriesContext(connection) as one:
        legal_receivers(consignor=enterprise_x, waste_code=code, day=today)
    for n in range(3):
        receiver = f.EnterpriseFactory(name=f"Receiver {n}", park=park_a, is_generator=False, is_receiver=True)
        permit = f.PermitFactory(enterprise=receiver, kind=PermitKind.HAZARDOUS_OPERATING)
        f.PermitLineFactory(permit=permit, waste_code=code, method=f.method("D10"))
    with CaptureQueriesContext(connection) as many:
        assert len(legal_receivers(consignor=enterprise_x, waste_code=code, day=today)) == 4
    assert len(many) == len(one)


# --- the manifest form refuses an illegal receiver, saying why ------------------------------------


def _draft_post(*, consignor, carrier, receiver, facility, quantity="10"):
    return manifest_data(consignor=consignor, carrier=carrier, receiver=receiver, facility=facility, quantity=quantity)


def test_the_manifest_form_refuses_a_receiver_without_a_covering_licence_and_saves_nothing(
    client, parties, preparer_x, enterprise_x, carrier_c, x_store, park_a
):
    unlicensed = f.EnterpriseFactory(name="Receiver U", park=park_a, is_generator=False, is_receiver=True)
    client.force_login(preparer_x)
    data = _draft_post(consignor=enterprise_x, carrier=carrier_c, receiver=unlicensed, facility=x_store)
    response = client.post(reverse("transfers:manifest_new"), data)
    assert response.status_code == 400
    [error] = response.context["form"].errors["receiver"]
    assert "Receiver U" in error and "900-249-08" in error and "licence" in error
    assert not Manifest.objects.exists()


def test_the_manifest_form_refuses_a_load_beyond_the_receivers_licensed_capacity(
    client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store
):
    client.force_login(preparer_x)
    data = _draft_post(
        consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store, quantity="1001"
    )
    response = client.post(reverse("transfers:manifest_new"), data)
    assert response.status_code == 400
    assert "capacity" in response.context["form"].errors["receiver"][0]
    assert not Manifest.objects.exists()


def test_the_manifest_form_accepts_a_legal_receiver(
    client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store
):
    client.force_login(preparer_x)
    data = _draft_post(consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    response = client.post(reverse("transfers:manifest_new"), data)
    assert response.status_code == 302
    assert Manifest.objects.get().receiver == receiver_r
