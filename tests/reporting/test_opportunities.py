"""Opportunities for officers (reporting.symbiosis.opportunities).

Personas: Enterprise X (park A) generates 100 t of 900-249-08 waste mineral oil this month, utilizes 10 t
in house and ships 40 t to Disposer D (park A, licensed D10 for the code), which incinerates it. Receiver
R (park A) holds a licence to utilize the code (R9, 1000 t a year). Park A's rolling utilization rate of
hazardous waste is 10 / 100 = 10 %; had the 40 t gone to R it would be 50 / 100 = 50 %: +40 points.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import EnterpriseRole, Park, PermitKind, PermitLine
from reporting.services.utilization import recompute_period
from reporting.symbiosis.opportunities import (
    find_opportunities,
    park_window_totals,
    rolling_window,
    utilization_rate_with,
)
from tests import factories as f
from tests.transfers.factories import draft, receipt, treatment
from transfers import services as transfers
from transfers.models import LedgerStage, ManifestLine

pytestmark = pytest.mark.django_db

OIL = "900-249-08"


def record(actor, facility, stage, quantity, method=None):
    return transfers.record_ledger_entry(
        actor=actor,
        enterprise=facility.enterprise,
        facility=facility,
        waste_code=f.waste_code(OIL),
        stage=stage,
        quantity_t=Decimal(quantity),
        occurred_at=timezone.now(),
        method=f.method(method) if method else None,
    )


def recompute_now():
    today = timezone.localdate()
    recompute_period(year=today.year, month=today.month)


@pytest.fixture
def disposer_d(park_a):
    disposer = f.EnterpriseFactory(name="Disposer D", park=park_a, is_generator=False, is_receiver=True)
    permit = f.PermitFactory(enterprise=disposer, kind=PermitKind.HAZARDOUS_OPERATING, number="GZ-HW-D")
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code(OIL), method=f.method("D10"))
    return disposer


@pytest.fixture
def disposed_stream(preparer_x, x_store, enterprise_x, carrier_c, road_permit, driver_c, disposer_d, receiver_r):
    record(preparer_x, x_store, LedgerStage.GENERATED, 100)
    record(preparer_x, x_store, LedgerStage.UTILIZED_IN_HOUSE, 10, "R9")
    clerk_d = f.member(f.UserFactory(username="clerk_d"), disposer_d, EnterpriseRole.PREPARER)
    d_store = f.FacilityFactory(enterprise=disposer_d, name="D receiving store", capacity_t=1000)
    manifest = draft(
        actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=disposer_d, facility=x_store,
        quantity="40", purpose="disposal",
    )  # fmt: skip
    transfers.submit_manifest(manifest=manifest, actor=preparer_x)
    transfers.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")
    transfers.receive_manifest(manifest=manifest, actor=clerk_d, lines=receipt(manifest, d_store))
    transfers.treat_manifest(manifest=manifest, actor=clerk_d, lines=treatment(manifest, "D10"))
    recompute_now()
    return manifest


def park_a_rate(park_a):
    totals = park_window_totals(park_ids=[park_a.pk], window=rolling_window())
    return utilization_rate_with(totals.get((park_a.pk, "hazardous")))


def test_a_disposed_stream_a_licensed_utilizer_could_take_is_offered_with_its_rate_gain(
    disposed_stream, park_a, enterprise_x, receiver_r
):
    [opportunity] = find_opportunities(parks=Park.objects.filter(pk=park_a.pk))
    assert (opportunity.consignor, opportunity.waste_code.code, opportunity.tonnes) == (
        enterprise_x,
        OIL,
        Decimal("40"),
    )
    assert [c.option.enterprise for c in opportunity.candidates] == [receiver_r]
    assert opportunity.rate_now_pct == Decimal("10.0000")
    assert opportunity.rate_if_utilized_pct == Decimal("50.0000")
    assert opportunity.gain_points == Decimal("40.0000")


def test_the_rate_gain_equals_recomputing_the_rolling_rate_with_the_stream_utilized(disposed_stream, park_a):
    [opportunity] = find_opportunities(parks=Park.objects.filter(pk=park_a.pk))
    assert park_a_rate(park_a) == opportunity.rate_now_pct
    # Move the stream to utilization in the ledger's own terms and recompute the park from scratch.
    ManifestLine.objects.filter(manifest=disposed_stream).update(treatment_method=f.method("R9"))
    recompute_now()
    assert park_a_rate(park_a) == opportunity.rate_if_utilized_pct
    assert park_a_rate(park_a) - Decimal("10.0000") == opportunity.gain_points


def test_a_utilizer_whose_licence_has_expired_is_not_offered(disposed_stream, park_a, receiver_r):
    receiver_r.permits.update(valid_to=timezone.localdate() - timedelta(days=1))
    assert find_opportunities(parks=Park.objects.filter(pk=park_a.pk)) == []


def test_a_utilizer_without_room_for_the_stream_is_not_offered(disposed_stream, park_a, receiver_r):
    PermitLine.objects.filter(permit__enterprise=receiver_r).update(annual_capacity_t=Decimal("39"))
    assert find_opportunities(parks=Park.objects.filter(pk=park_a.pk)) == []


def test_an_officer_of_park_b_sees_nothing_of_park_a(disposed_stream, officer_b):
    assert find_opportunities(parks=Park.objects.visible_to(officer_b)) == []


def test_a_provincial_officer_sees_park_a_among_the_province_parks(disposed_stream, park_a, park_b, provincial):
    [opportunity] = find_opportunities(parks=Park.objects.visible_to(provincial))
    assert opportunity.park == park_a


def test_queries_stay_bounded_per_stream(disposed_stream, park_a):
    with CaptureQueriesContext(connection) as one:
        find_opportunities(parks=Park.objects.filter(pk=park_a.pk))
    # Each stream asks legal_receivers once (a fixed number of queries whatever the receivers); the
    # gathering around it is a fixed number of queries too.
    assert len(one) <= 15


# --- the officers' page ---------------------------------------------------------------------------


def test_the_park_officer_sees_the_stream_and_its_gain_on_the_page(disposed_stream, client, officer_a, receiver_r):
    client.force_login(officer_a)
    response = client.get(reverse("reporting:opportunity_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert OIL in body and receiver_r.name in body and "+40.0 points" in body


def test_an_officer_of_park_b_sees_no_stream_of_park_a_on_the_page(disposed_stream, client, officer_b, enterprise_x):
    client.force_login(officer_b)
    response = client.get(reverse("reporting:opportunity_list"))
    assert response.status_code == 200
    assert enterprise_x.name not in response.content.decode()


def test_a_provincial_officer_sees_the_park_column(disposed_stream, client, provincial, park_a, park_b):
    client.force_login(provincial)
    body = client.get(reverse("reporting:opportunity_list")).content.decode()
    assert park_a.name in body and "Enterprise X" in body


def test_enterprise_staff_may_not_open_the_page(disposed_stream, client, preparer_x):
    client.force_login(preparer_x)
    assert client.get(reverse("reporting:opportunity_list")).status_code == 403


# --- the API --------------------------------------------------------------------------------------


def test_the_api_lists_park_a_streams_to_its_officer_and_hides_park_a_from_park_b(
    disposed_stream, officer_a, officer_b, park_a
):
    from tests.api.conftest import session_of

    url = reverse("api:opportunities-detail", args=[park_a.pk])
    [row] = session_of(officer_a).get(url).json()["results"]
    assert (row["waste_code"], row["tonnes"], row["gain_points"]) == (OIL, "40.0000", "40.0000")
    assert session_of(officer_b).get(url).status_code == 404


def test_the_api_shows_the_province_to_the_provincial_officer(disposed_stream, provincial, park_a):
    from tests.api.conftest import session_of

    url = reverse("api:opportunities-detail", args=["52"])
    [row] = session_of(provincial).get(url, {"scope": "province"}).json()["results"]
    assert row["park"] == park_a.pk


def test_the_api_refuses_an_unknown_scope(disposed_stream, officer_a, park_a):
    from tests.api.conftest import session_of

    url = reverse("api:opportunities-detail", args=[park_a.pk])
    assert session_of(officer_a).get(url, {"scope": "galaxy"}).status_code == 400


@pytest.mark.parametrize("key", ["²", "０１", "𰁮ï\x7f", "x", "99999999999999999999"])
def test_a_park_id_not_written_in_ascii_digits_is_404_not_a_server_error(key, disposed_stream, officer_a):
    from tests.api.conftest import session_of

    url = reverse("api:opportunities-detail", args=[key])
    assert session_of(officer_a).get(url).status_code == 404
