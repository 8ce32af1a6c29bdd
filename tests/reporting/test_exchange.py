"""The by-product exchange and its matching (reporting.symbiosis.exchange, reporting.symbiosis.matching).

Personas: Enterprise X (park A, at 27.20 N 109.00 E) generates 900-249-08 waste mineral oil and lists 10 t
a month. Around it:

- Utilizer U, 5.6 km north, licensed R9 for the code (1000 t a year), no history;
- Twin T and Receiver R side by side 11.1 km north, both R9: T with 2000 t a year, R with 1000 t;
- Utilizer N, R9, no position recorded;
- Utilizer P, 1.1 km north, R9, but 2 of its 5 loads of the last year had a quantity discrepancy;
- Disposer D, 0.6 km north, licensed D10 only.

The worked order: U (utilization, clean record, nearest), T (11.1 km, more room than R), R, N (distance
unknown), P (poor record), D (disposal only).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import Division, EnterpriseRole, PermitLine, WasteClass
from reporting.models import ListingStatus, OfferListing, StreamListing
from reporting.symbiosis import exchange
from reporting.symbiosis.matching import rank_matches
from tests import factories as f
from transfers.models import LedgerStage, Manifest, ManifestStatus
from wasteparks.errors import NotPermitted, RuleViolation

pytestmark = pytest.mark.django_db

OIL = "900-249-08"


def at(enterprise, latitude):
    enterprise.latitude, enterprise.longitude = Decimal(latitude), Decimal("109.00")
    enterprise.save()
    return enterprise


def licensed(name, park, method="R9", capacity="1000", **kwargs):
    receiver = f.EnterpriseFactory(name=name, park=park, is_generator=False, is_receiver=True)
    permit = f.PermitFactory(enterprise=receiver, **kwargs)
    f.PermitLineFactory(
        permit=permit, waste_code=f.waste_code(OIL), method=f.method(method), annual_capacity_t=Decimal(capacity)
    )
    return receiver


def loads(receiver, consignor, *, count, with_discrepancy):
    now = timezone.now()
    for number in range(count):
        Manifest.objects.create(
            number=f"5206{receiver.pk:04d}{number:06d}",
            waste_class=WasteClass.HAZARDOUS,
            consignor=consignor,
            carrier=consignor,
            receiver=receiver,
            planned_date=now.date(),
            purpose="utilization",
            status=ManifestStatus.COMPLETED,
            created_by=f.UserFactory(),
            submitted_at=now - timedelta(days=12 + number),
            picked_up_at=now - timedelta(days=11 + number),
            received_at=now - timedelta(days=10 + number),
            completed_at=now - timedelta(days=10 + number),
            has_discrepancy=number < with_discrepancy,
        )


@pytest.fixture
def oil_held(enterprise_x, preparer_x, x_store):
    from transfers import services as transfers

    transfers.record_ledger_entry(
        actor=preparer_x,
        enterprise=enterprise_x,
        facility=x_store,
        waste_code=f.waste_code(OIL),
        stage=LedgerStage.GENERATED,
        quantity_t=Decimal("12"),
        occurred_at=timezone.now(),
    )


@pytest.fixture
def stream(enterprise_x, preparer_x, oil_held):
    at(enterprise_x, "27.20")
    return exchange.publish_stream(
        actor=preparer_x,
        enterprise=enterprise_x,
        waste_code=f.waste_code(OIL),
        monthly_t=Decimal("10"),
        available_from=timezone.localdate(),
    )


@pytest.fixture
def neighbourhood(park_a, receiver_r, enterprise_x):
    at(receiver_r, "27.30")
    utilizer_u = at(licensed("Utilizer U", park_a), "27.25")
    twin_t = at(licensed("Twin T", park_a, capacity="2000"), "27.30")
    utilizer_n = licensed("Utilizer N", park_a)
    utilizer_p = at(licensed("Utilizer P", park_a), "27.21")
    loads(utilizer_p, enterprise_x, count=5, with_discrepancy=2)
    disposer_d = at(licensed("Disposer D", park_a, method="D10"), "27.205")
    return utilizer_u, twin_t, receiver_r, utilizer_n, utilizer_p, disposer_d


# --- matching -------------------------------------------------------------------------------------------------


def test_the_matches_of_a_stream_follow_the_hierarchy_the_record_distance_and_room(stream, neighbourhood):
    matches = rank_matches(stream)

    assert [m.receiver for m in matches] == list(neighbourhood)
    assert [m.kind for m in matches] == ["utilization"] * 5 + ["disposal"]
    first = matches[0]
    assert first.distance_km == 5.6
    assert "5.6 km away." in first.reasons
    assert any("ranked after receivers with a better record" in reason for reason in matches[4].reasons)
    assert any("ranked after every receiver that may utilize it" in reason for reason in matches[5].reasons)


def test_every_ranked_receiver_holds_a_covering_licence_in_force_with_room_for_a_month(stream, neighbourhood):
    today = timezone.localdate()
    for match in rank_matches(stream):
        covering = [
            line
            for line in PermitLine.objects.covering(stream.waste_code).in_force_on(today)
            if line.permit.enterprise_id == match.receiver.pk and line.method.kind == match.kind
        ]
        assert covering, match.receiver.name
        assert match.remaining_t >= stream.monthly_t


def test_a_receiver_whose_licence_ends_before_the_window_starts_drops_out(stream, park_a, neighbourhood):
    ending = licensed("Utilizer E", park_a, valid_to=timezone.localdate() + timedelta(days=3))
    assert ending in [m.receiver for m in rank_matches(stream)]

    stream.available_from = timezone.localdate() + timedelta(days=4)
    stream.save()

    assert ending not in [m.receiver for m in rank_matches(stream)]


def test_a_receiver_without_room_for_a_month_is_not_matched(stream, park_a):
    small = licensed("Utilizer S", park_a, capacity="9")
    assert small not in [m.receiver for m in rank_matches(stream)]


def test_a_withdrawn_stream_has_no_matches(stream, preparer_x, neighbourhood):
    exchange.withdraw_listing(actor=preparer_x, listing=stream)
    assert rank_matches(stream) == []


def test_matching_costs_the_same_for_two_and_six_receivers(stream, park_a, receiver_r):
    def count():
        with CaptureQueriesContext(connection) as queries:
            rank_matches(StreamListing.objects.get(pk=stream.pk))
        return len(queries)

    licensed("Utilizer 1", park_a)
    few = count()
    for number in range(2, 6):
        licensed(f"Utilizer {number}", park_a)
    assert count() == few


# --- publishing -----------------------------------------------------------------------------------------------


def test_a_stream_for_a_code_the_enterprise_does_not_hold_is_refused_and_nothing_is_written(
    enterprise_x, preparer_x, oil_held
):
    with pytest.raises(RuleViolation) as refused:
        exchange.publish_stream(
            actor=preparer_x,
            enterprise=enterprise_x,
            waste_code=f.waste_code("900-041-49"),
            monthly_t=Decimal("1"),
            available_from=timezone.localdate(),
        )
    assert refused.value.code == "code_not_held"
    assert not StreamListing.objects.exists()


def test_a_viewer_or_another_enterprise_may_not_list_enterprise_x_streams(enterprise_x, viewer_x, preparer_y, oil_held):
    for actor in (viewer_x, preparer_y):
        with pytest.raises(NotPermitted):
            exchange.publish_stream(
                actor=actor,
                enterprise=enterprise_x,
                waste_code=f.waste_code(OIL),
                monthly_t=Decimal("1"),
                available_from=timezone.localdate(),
            )
    assert not StreamListing.objects.exists()


def test_an_offer_beyond_the_licensed_room_is_refused(receiver_r, clerk_r):
    with pytest.raises(RuleViolation) as refused:
        exchange.publish_offer(
            actor=clerk_r,
            enterprise=receiver_r,
            waste_code=f.waste_code(OIL),
            method=f.method("R9"),
            capacity_t=Decimal("1000.0001"),
        )
    assert refused.value.code == "beyond_licence"
    assert not OfferListing.objects.exists()


def test_an_offer_by_a_method_no_licence_allows_is_refused(receiver_r, clerk_r):
    with pytest.raises(RuleViolation) as refused:
        exchange.publish_offer(
            actor=clerk_r, enterprise=receiver_r, waste_code=f.waste_code(OIL), method=f.method("D10")
        )
    assert refused.value.code == "not_licensed"


def test_an_offer_within_the_licence_is_listed_and_shown_on_the_match(stream, receiver_r, clerk_r):
    exchange.publish_offer(
        actor=clerk_r,
        enterprise=receiver_r,
        waste_code=f.waste_code(OIL),
        method=f.method("R9"),
        capacity_t=Decimal("500"),
        gate_fee_yuan_per_t=Decimal("300"),
    )
    [match] = rank_matches(stream)
    assert "Has published an offer for R9 at 300.00 yuan/t." in match.reasons


def test_the_ledger_suggests_codes_generated_in_three_of_the_last_six_months(enterprise_x, preparer_x, x_store):
    from transfers import services as transfers

    month_start = timezone.localdate().replace(day=1)
    for months_back, tonnes in ((1, "6"), (2, "9"), (3, "12")):
        day = month_start
        for _ in range(months_back):
            day = (day - timedelta(days=1)).replace(day=1)
        transfers.record_ledger_entry(
            actor=preparer_x,
            enterprise=enterprise_x,
            facility=x_store,
            waste_code=f.waste_code(OIL),
            stage=LedgerStage.GENERATED,
            quantity_t=Decimal(tonnes),
            occurred_at=timezone.make_aware(timezone.datetime(day.year, day.month, 10, 9)),
        )
    [suggested] = exchange.recurring_streams(enterprise_x)
    assert (suggested.waste_code.code, suggested.months, suggested.monthly_t) == (OIL, 3, Decimal("9.0000"))


def test_the_licence_lines_in_force_are_offered_with_their_room(receiver_r):
    [room] = exchange.licensed_rooms(receiver_r)
    assert (room.waste_code.code, room.method.code, room.room_t) == (OIL, "R9", Decimal("1000"))


# --- pages ----------------------------------------------------------------------------------------------------


def test_enterprise_x_clerk_publishes_a_stream_on_the_page(client, preparer_x, enterprise_x, oil_held):
    client.force_login(preparer_x)
    url = reverse("reporting:exchange_stream_new")
    assert OIL in client.get(url).content.decode()  # suggested from the ledger
    response = client.post(
        url,
        {
            "enterprise": enterprise_x.pk,
            "waste_code": OIL,
            "monthly_t": "10",
            "available_from": timezone.localdate().isoformat(),
        },
    )
    listing = StreamListing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:exchange_stream", args=[listing.pk])


@pytest.mark.parametrize(
    "change",
    [
        {"waste_code": "999-999-99"},
        {"monthly_t": "-1"},
        {"monthly_t": "1,5"},
        {"available_from": "0001-01-01"},
        {"available_to": "2000-01-01"},
        {"waste_code": "900-041-49"},
        {"enterprise": "2000000000"},
    ],
)
def test_a_bad_stream_form_is_refused_and_nothing_is_written(client, preparer_x, enterprise_x, oil_held, change):
    client.force_login(preparer_x)
    data = {
        "enterprise": enterprise_x.pk,
        "waste_code": OIL,
        "monthly_t": "10",
        "available_from": timezone.localdate().isoformat(),
    } | change
    response = client.post(reverse("reporting:exchange_stream_new"), data)
    assert response.status_code == 400
    assert not StreamListing.objects.exists()


def test_another_tenant_cannot_see_the_matches_of_enterprise_x_stream(client, stream, preparer_y, officer_b):
    for user in (preparer_y, officer_b):
        client.force_login(user)
        assert client.get(reverse("reporting:exchange_stream", args=[stream.pk])).status_code == 404
        assert client.get(reverse("reporting:exchange_prepare", args=[stream.pk, 1])).status_code == 404


def test_the_park_officer_sees_the_matches_but_may_not_prepare_a_manifest(client, stream, officer_a, neighbourhood):
    client.force_login(officer_a)
    page = client.get(reverse("reporting:exchange_stream", args=[stream.pk])).content.decode()
    assert "Utilizer U" in page and 'data-testid="prepare"' not in page
    utilizer_u = neighbourhood[0]
    assert client.get(reverse("reporting:exchange_prepare", args=[stream.pk, utilizer_u.pk])).status_code == 403


def test_accepting_a_match_opens_the_manifest_form_filled_for_that_receiver(client, stream, preparer_x, neighbourhood):
    utilizer_u = neighbourhood[0]
    client.force_login(preparer_x)
    response = client.get(reverse("reporting:exchange_prepare", args=[stream.pk, utilizer_u.pk]))
    assert response.status_code == 302
    form_page = client.get(response["Location"])
    form = form_page.context["form"]
    assert form.initial["receiver"] == utilizer_u.pk
    assert form.initial["purpose"] == "utilization"
    assert form_page.context["formset"].forms[0].initial == {"waste_code": OIL, "declared_quantity_t": "10"}


def test_a_match_no_longer_legal_is_not_prepared(client, stream, preparer_x, park_a):
    client.force_login(preparer_x)
    small = licensed("Utilizer S", park_a, capacity="9")
    response = client.get(reverse("reporting:exchange_prepare", args=[stream.pk, small.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:exchange_stream", args=[stream.pk])


def test_the_exchange_lists_the_province_listings_to_enterprise_y_but_not_to_another_province(
    client, stream, preparer_y, catalogue
):
    client.force_login(preparer_y)  # park B is in Guizhou too
    assert OIL in client.get(reverse("reporting:exchange")).content.decode()
    huaihua, _ = Division.objects.get_or_create(
        code="4312", defaults={"name_zh": "怀化市", "name_en": "Huaihua", "province_code": "43"}
    )
    park = f.ParkFactory(name="Huaihua park", division=huaihua)
    outsider = f.member(f.UserFactory(username="outsider"), f.EnterpriseFactory(park=park), EnterpriseRole.PREPARER)
    client.force_login(outsider)
    assert OIL not in client.get(reverse("reporting:exchange")).content.decode()


def test_only_the_owner_withdraws_a_listing(client, stream, preparer_y, officer_a, preparer_x):
    url = reverse("reporting:exchange_withdraw", args=["streams", stream.pk])
    client.force_login(preparer_y)
    assert client.post(url).status_code == 404
    client.force_login(officer_a)  # sees it, may not withdraw it
    client.post(url)
    stream.refresh_from_db()
    assert stream.status == ListingStatus.OPEN
    client.force_login(preparer_x)
    client.post(url)
    stream.refresh_from_db()
    assert stream.status == ListingStatus.WITHDRAWN


@pytest.mark.parametrize(
    "query",
    [
        {"receiver": "²", "consignor": "０１", "purpose": "galaxy", "waste_class": "x"},
        {"planned_date": "2025-02-30", "waste_code": "<script>", "quantity": "1e9999"},
        {"planned_date": "0000-00-00", "waste_code": "９００-２４９-０８" * 10},
    ],
)
def test_a_bad_prefill_link_opens_an_empty_form_without_error(client, preparer_x, query):
    client.force_login(preparer_x)
    response = client.get(reverse("transfers:manifest_new"), query)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split('data-testid="manifest-form"')[1]


def test_an_offer_of_a_whole_category_is_checked_against_the_licence_like_a_code(receiver_r, clerk_r):
    from registry.models import WasteCategory

    hw08 = WasteCategory.objects.get(code="HW08")
    offer = exchange.publish_offer(actor=clerk_r, enterprise=receiver_r, category=hw08, method=f.method("R9"))
    assert offer.category == hw08
    with pytest.raises(RuleViolation):
        exchange.publish_offer(actor=clerk_r, enterprise=receiver_r, category=hw08, method=f.method("D10"))


def test_an_offer_shows_what_its_licence_has_left_today_beside_what_was_offered(receiver_r, clerk_r, park_a):
    offer = exchange.publish_offer(
        actor=clerk_r,
        enterprise=receiver_r,
        waste_code=f.waste_code(OIL),
        method=f.method("R9"),
        capacity_t=Decimal("800"),
    )
    assert exchange.offer_rooms([offer]) == {offer.pk: Decimal("1000")}
    # The licence ends: the offer stands, but nothing is left to take under it.
    receiver_r.permits.update(valid_to=timezone.localdate() - timedelta(days=1))
    assert exchange.offer_rooms([offer]) == {offer.pk: Decimal("0")}


def test_the_exchange_page_costs_the_same_for_two_and_six_offers(client, clerk_r, receiver_r, park_a):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reporting:exchange")).status_code == 200
        return len(queries)

    client.force_login(clerk_r)
    receivers = [receiver_r] + [licensed(f"Utilizer {n}", park_a) for n in range(5)]
    for receiver in receivers[:2]:
        clerk = f.member(f.UserFactory(), receiver, EnterpriseRole.PREPARER)
        exchange.publish_offer(actor=clerk, enterprise=receiver, waste_code=f.waste_code(OIL), method=f.method("R9"))
    few = count()
    for receiver in receivers[2:]:
        clerk = f.member(f.UserFactory(), receiver, EnterpriseRole.PREPARER)
        exchange.publish_offer(actor=clerk, enterprise=receiver, waste_code=f.waste_code(OIL), method=f.method("R9"))
    assert count() == few
