"""The route and transit-time cross-checks: a vehicle off the plausible route and a journey longer than
its distance explains, raised and self-closed like the other device rules; enterprises without
coordinates give no route and no warning."""

from datetime import timedelta
from math import acos, cos, radians, sin

import pytest
from django.utils import timezone

from registry.geo import EARTH_RADIUS_KM, distance_to_segment_km, haversine_km
from registry.models import Enterprise
from reporting.warnings import RULES_BY_CODE
from reporting.warnings.base import Context
from transfers.models import Manifest

from .conftest import reading
from .test_device_rules import live, scan, send

GUIYANG = (26.6470, 106.6302)
TONGREN = (27.7180, 109.1890)


def cosine_law_km(a, b) -> float:
    """The same great-circle distance by the spherical law of cosines: an independent formula."""
    la1, lo1, la2, lo2 = map(radians, (*a, *b))
    return EARTH_RADIUS_KM * acos(sin(la1) * sin(la2) + cos(la1) * cos(la2) * cos(lo2 - lo1))


def test_haversine_agrees_with_the_law_of_cosines_guiyang_to_tongren():
    km = haversine_km(GUIYANG, TONGREN)
    assert km == pytest.approx(cosine_law_km(GUIYANG, TONGREN), rel=1e-9)
    assert 270 < km < 290  # about 280 km as the crow flies, not the ~350 km by road


def test_one_degree_along_a_meridian_is_the_radius_times_its_angle():
    assert haversine_km((10.0, 100.0), (11.0, 100.0)) == pytest.approx(EARTH_RADIUS_KM * radians(1), rel=1e-12)
    assert haversine_km(GUIYANG, GUIYANG) == 0


def test_distance_to_a_segment_is_to_its_nearest_point():
    start, end = (26.0, 106.0), (26.0, 108.0)
    # Beside the middle: the distance due north to the segment.
    assert distance_to_segment_km((26.5, 107.0), start, end) == pytest.approx(
        haversine_km((26.5, 107.0), (26.0, 107.0)), rel=1e-3
    )
    # Beyond an end: the distance to that end.
    assert distance_to_segment_km((26.0, 109.0), start, end) == pytest.approx(haversine_km((26.0, 109.0), end))


pytestmark = pytest.mark.django_db


@pytest.fixture
def located(enterprise_x, receiver_r):
    """X in Guiyang, R in Tongren."""
    Enterprise.objects.filter(pk=enterprise_x.pk).update(latitude=GUIYANG[0], longitude=GUIYANG[1])
    Enterprise.objects.filter(pk=receiver_r.pk).update(latitude=TONGREN[0], longitude=TONGREN[1])


def position(manifest, lat, lon):
    return {"manifest": manifest.number, "lat": str(lat), "lon": str(lon)}


def test_a_vehicle_off_the_route_is_warned_until_it_is_back_in_the_corridor(located, hazardous_draft, advance, gps_c):
    manifest = advance(hazardous_draft, "in_transit")
    now = timezone.now()
    # Zunyi: some 130 km north of the Guiyang–Tongren line.
    send(gps_c, now, reading("g1", now, "60", **position(manifest, 27.7250, 106.9270)))
    assert scan("VEHICLE_OFF_ROUTE", now).as_dict()["raised"] == 1
    warning = live("VEHICLE_OFF_ROUTE").get()
    assert warning.manifest_id == manifest.pk and warning.enterprise_id == gps_c.enterprise_id
    assert float(warning.evidence["off_route_km"]) > 20

    later = now + timedelta(minutes=5)
    midway = ((GUIYANG[0] + TONGREN[0]) / 2, (GUIYANG[1] + TONGREN[1]) / 2)
    send(gps_c, later, reading("g2", later, "60", **position(manifest, *midway)))
    assert scan("VEHICLE_OFF_ROUTE", later).as_dict()["closed"] == 1


def test_a_vehicle_in_the_corridor_is_no_warning(located, hazardous_draft, advance, gps_c):
    manifest = advance(hazardous_draft, "in_transit")
    now = timezone.now()
    send(gps_c, now, reading("g1", now, "60", **position(manifest, 26.9, 107.3)))
    assert scan("VEHICLE_OFF_ROUTE", now).raised == []


def test_without_coordinates_neither_rule_says_anything(hazardous_draft, advance, gps_c):
    manifest = advance(hazardous_draft, "in_transit")
    now = timezone.now()
    send(gps_c, now, reading("g1", now, "60", **position(manifest, 40.0, 116.0)))
    assert scan("VEHICLE_OFF_ROUTE", now).raised == []
    assert scan("TRANSIT_TOO_LONG", now + timedelta(days=3)).raised == []


def test_a_transit_longer_than_its_distance_explains_is_warned_until_received(located, hazardous_draft, advance):
    manifest = advance(hazardous_draft, "in_transit")
    picked = manifest.picked_up_at
    # Defaults: straight line × 1.4 / 40 km/h + 4 h.
    expected = timedelta(hours=haversine_km(GUIYANG, TONGREN) * 1.4 / 40 + 4)
    assert scan("TRANSIT_TOO_LONG", picked + expected - timedelta(minutes=1)).raised == []
    late = picked + expected + timedelta(minutes=1)
    assert scan("TRANSIT_TOO_LONG", late).as_dict()["raised"] == 1
    warning = live("TRANSIT_TOO_LONG").get()
    assert warning.manifest_id == manifest.pk and warning.enterprise_id == manifest.consignor_id

    advance(manifest, "received")
    assert scan("TRANSIT_TOO_LONG", late).as_dict()["closed"] == 1


def test_the_scan_reads_many_manifests_in_a_bounded_number_of_queries(
    located, hazardous_draft, advance, gps_c, django_assert_max_num_queries
):
    manifest = advance(hazardous_draft, "in_transit")
    now = timezone.now()
    send(gps_c, now, reading("g1", now, "60", **position(manifest, 26.9, 107.3)))
    # Forty more in transit, copies of the first (the rules only read them).
    copies = []
    for i in range(40):
        copy = Manifest.objects.get(pk=manifest.pk)
        copy.pk = None
        copy.number = f"{manifest.number[:-4]}9{i:03d}"
        copies.append(copy)
    Manifest.objects.bulk_create(copies)
    # The rules' reads: the thresholds and one query over the manifests, whatever their number.
    with django_assert_max_num_queries(4):
        assert RULES_BY_CODE["VEHICLE_OFF_ROUTE"].findings(Context(now=now)) == []
    with django_assert_max_num_queries(4):
        found = RULES_BY_CODE["TRANSIT_TOO_LONG"].findings(Context(now=now + timedelta(days=2)))
    assert len(found) == 41
