"""The officers' symbiosis network (reporting.symbiosis.network): flows over the rolling window and the
potential links to licensed utilizers, who sees them, and a query count that does not grow with them.

Personas: Enterprise X (park A) ships 25 t of 900-249-08 waste mineral oil to Receiver R (park A), which
utilizes it (R9), and 40 t to Disposer D (park A, licensed D10 for the code), which incinerates it.
Receiver R's licence to utilize the code (R9, 1000 t a year) has room for the 40 t: a potential link
from X to R. Park A's officer sees all three; park B's officer none of them.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import Enterprise, EnterpriseRole, MethodKind, Park, PermitKind
from reporting.symbiosis.network import (
    HEIGHT,
    MARGIN,
    POTENTIAL,
    WIDTH,
    Link,
    Node,
    labels_apart,
    laid_out,
    symbiosis_network,
)
from tests import factories as f
from tests.transfers.factories import draft, generate, receipt, treatment
from transfers import services as transfers
from transfers.models import ManifestLine, Purpose

pytestmark = pytest.mark.django_db

OIL = "900-249-08"
URL = reverse("reporting:network")


def licensed(enterprise: Enterprise, method: str) -> Enterprise:
    permit = f.PermitFactory(enterprise=enterprise, kind=PermitKind.HAZARDOUS_OPERATING)
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code(OIL), method=f.method(method))
    return enterprise


@pytest.fixture
def ship(carrier_c, road_permit, driver_c):
    """ship(consignor, receiver, tonnes, method): a manifest from the consignor via carrier C, signed by
    staff of each party, received in full and treated with the method."""

    def _ship(consignor: Enterprise, receiver: Enterprise, tonnes: str, method: str):
        preparer = f.member(f.UserFactory(), consignor, EnterpriseRole.PREPARER)
        store = f.FacilityFactory(enterprise=consignor, capacity_t=1000)
        generate(actor=preparer, facility=store, code=OIL, quantity=tonnes)
        clerk = f.member(f.UserFactory(), receiver, EnterpriseRole.PREPARER)
        receiving = f.FacilityFactory(enterprise=receiver, capacity_t=2000)
        purpose = Purpose.DISPOSAL if method.startswith("D") else Purpose.UTILIZATION
        manifest = draft(
            actor=preparer, consignor=consignor, carrier=carrier_c, receiver=receiver, facility=store,
            quantity=tonnes, purpose=purpose,
        )  # fmt: skip
        transfers.submit_manifest(manifest=manifest, actor=preparer)
        transfers.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")
        transfers.receive_manifest(manifest=manifest, actor=clerk, lines=receipt(manifest, receiving))
        transfers.treat_manifest(manifest=manifest, actor=clerk, lines=treatment(manifest, method))
        return manifest

    return _ship


@pytest.fixture
def disposer_d(park_a):
    disposer = f.EnterpriseFactory(name="Disposer D", park=park_a, is_generator=False, is_receiver=True)
    return licensed(disposer, "D10")


@pytest.fixture
def park_a_flows(ship, enterprise_x, receiver_r, disposer_d):
    return [ship(enterprise_x, receiver_r, "25", "R9"), ship(enterprise_x, disposer_d, "40", "D10")]


def links_of(network) -> set[tuple[str, str, str, str, Decimal]]:
    return {
        (
            link.source.enterprise.name,
            link.target.enterprise.name,
            link.kind,
            link.waste_code.code if link.waste_code else "",
            link.tonnes,
        )
        for link in network.links
    }


def park_a_network(park_a):
    return symbiosis_network(parks=Park.objects.filter(pk=park_a.pk))


def test_the_flows_of_the_window_and_the_potential_link_carry_their_tonnes(park_a_flows, park_a):
    assert links_of(park_a_network(park_a)) == {
        ("Enterprise X (generator)", "Receiver R", MethodKind.UTILIZATION, "", Decimal("25")),
        ("Enterprise X (generator)", "Disposer D", MethodKind.DISPOSAL, "", Decimal("40")),
        ("Enterprise X (generator)", "Receiver R", POTENTIAL, OIL, Decimal("40")),
    }


def test_flows_from_one_consignor_to_one_receiver_are_summed_per_kind(
    park_a_flows, ship, enterprise_x, receiver_r, park_a
):
    ship(enterprise_x, receiver_r, "5", "R9")
    utilized = [link for link in park_a_network(park_a).links if link.kind == MethodKind.UTILIZATION]
    assert [(link.target.enterprise, link.tonnes) for link in utilized] == [(receiver_r, Decimal("30"))]


def test_a_flow_treated_before_the_window_is_left_out(park_a_flows, park_a):
    ManifestLine.objects.filter(manifest=park_a_flows[0]).update(treated_at=timezone.now() - timedelta(days=400))
    kinds = {link.kind for link in park_a_network(park_a).links}
    assert kinds == {MethodKind.DISPOSAL, POTENTIAL}


def test_a_receiver_outside_the_parks_is_drawn_but_marked_outside(ship, enterprise_x, park_a, park_b):
    receiver_b = licensed(f.EnterpriseFactory(name="Receiver B", park=park_b, is_receiver=True), "R9")
    network = park_a_network(park_a)
    assert network.nodes == []
    ship(enterprise_x, receiver_b, "12", "R9")
    nodes = {node.enterprise.name: node.in_parks for node in park_a_network(park_a).nodes}
    assert nodes == {"Enterprise X (generator)": True, "Receiver B": False}


def test_an_officer_of_park_b_sees_nothing_of_park_a(park_a_flows, officer_b):
    assert symbiosis_network(parks=Park.objects.visible_to(officer_b)).links == []


def test_a_provincial_officer_sees_park_a_among_the_province_parks(park_a_flows, provincial, park_b):
    network = symbiosis_network(parks=Park.objects.visible_to(provincial))
    assert {link.kind for link in network.links} == {MethodKind.UTILIZATION, MethodKind.DISPOSAL, POTENTIAL}


def test_queries_stay_the_same_for_two_or_six_flows(ship, park_a):
    def add_flows(count: int) -> None:
        for _ in range(count):
            consignor = f.EnterpriseFactory(park=park_a)
            utilizer = licensed(f.EnterpriseFactory(park=park_a, is_receiver=True), "R9")
            ship(consignor, utilizer, "10", "R9")

    def links_and_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            network = park_a_network(park_a)
        return len(network.links), len(queries)

    add_flows(2)
    two_links, two = links_and_queries()
    add_flows(4)
    six_links, six = links_and_queries()
    assert (two_links, six_links) == (2, 6)
    assert six == two


# --- the drawing ----------------------------------------------------------------------------------


def an_enterprise(pk: int, name: str, latitude: str | None = None, longitude: str | None = None) -> Enterprise:
    return Enterprise(
        pk=pk,
        name=name,
        latitude=Decimal(latitude) if latitude else None,
        longitude=Decimal(longitude) if longitude else None,
    )


def test_enterprises_with_coordinates_are_placed_as_on_a_map_north_up():
    west = an_enterprise(1, "West", "27.70", "109.10")
    east = an_enterprise(2, "East", "27.70", "109.30")
    north = an_enterprise(3, "North", "27.80", "109.20")
    nodes = {node.enterprise.name: node for node in laid_out([west, east, north], inside={1, 2, 3})}
    assert nodes["West"].x < nodes["North"].x < nodes["East"].x
    assert nodes["North"].y == MARGIN and nodes["West"].y == nodes["East"].y == HEIGHT - MARGIN
    # One scale for both axes: 0.2° of longitude at 27.7° north is 1.77 times 0.1° of latitude.
    wide, tall = nodes["East"].x - nodes["West"].x, nodes["West"].y - nodes["North"].y
    assert round(wide / tall, 2) == 1.77


def test_a_receiver_far_outside_the_parks_stands_on_the_frame_and_the_park_still_fills_the_drawing():
    west = an_enterprise(1, "West", "27.70", "109.10")
    east = an_enterprise(2, "East", "27.70", "109.30")
    north = an_enterprise(3, "North", "27.80", "109.20")
    recycler = an_enterprise(4, "Recycler", "27.70", "111.00")  # some 190 km east, in another province
    nodes = {node.enterprise.name: node for node in laid_out([west, east, north, recycler], inside={1, 2, 3})}
    assert nodes["North"].y == MARGIN and nodes["West"].y == HEIGHT - MARGIN  # as without the recycler
    assert nodes["Recycler"].x == WIDTH - MARGIN / 2 and not nodes["Recycler"].in_parks
    assert MARGIN / 2 < nodes["Recycler"].y < HEIGHT - MARGIN / 2


def test_names_that_would_cover_each_other_move_over_or_under_and_a_name_at_the_side_ends_at_its_circle():
    long_name = "贵州大龙锰渣综合利用有限公司"
    row = [Node(an_enterprise(pk, f"{long_name}{pk}"), x=100.0 + 60 * pk, y=300.0, in_parks=True) for pk in (1, 2, 3)]
    edge = Node(an_enterprise(4, long_name), x=WIDTH - 20.0, y=100.0, in_parks=False)
    placed = {node.enterprise.pk: node for node in labels_apart([*row, edge], {1, 2, 3, 4})}
    assert [placed[pk].label_dy for pk in (1, 2, 3)] == ["2em", "-1.2em", "3.4em"]
    assert placed[4].label_anchor == "end" and placed[1].label_anchor == "middle"


def test_without_every_coordinate_the_enterprises_stand_on_a_circle_in_name_order():
    known = an_enterprise(1, "Beta", "27.70", "109.10")
    unknown = an_enterprise(2, "Alpha")
    first, second = laid_out([known, unknown], inside={1})
    assert (first.enterprise.name, second.enterprise.name) == ("Alpha", "Beta")
    assert first.x == WIDTH / 2 and first.y < second.y  # the first at the top, the second opposite
    assert laid_out([unknown, known], inside={1}) == [first, second]


def test_the_stroke_grows_with_the_log_of_the_tonnes():
    node = Node(enterprise=an_enterprise(1, "A"), x=0, y=0, in_parks=True)

    def width(tonnes: str) -> float:
        return Link(node, node, MethodKind.UTILIZATION, Decimal(tonnes), None).stroke_width

    assert width("9") < width("99") < width("999")
    assert round(width("99") - width("9"), 2) == round(width("999") - width("99"), 2)


# --- the officers' page ---------------------------------------------------------------------------


def table_rows(body: str) -> list[list[str]]:
    """The cells of the links table, as text, row by row."""
    table = body[body.index('data-testid="network-table"') : body.index("</table>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)
    ][1:]  # the header row holds no <td>


def test_the_park_officer_sees_the_drawing_and_every_link_in_the_table(park_a_flows, client, officer_a):
    client.force_login(officer_a)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="img"' in body and '<title id="network-title">Symbiosis network</title>' in body
    assert 'data-kind="potential"' in body and 'stroke-dasharray="8 5"' in body
    assert table_rows(body) == [
        ["Enterprise X (generator)", "Receiver R", "Utilization", "", "25.00"],
        ["Enterprise X (generator)", "Disposer D", "Disposal", "", "40.00"],
        ["Enterprise X (generator)", "Receiver R", "Potential utilization", OIL, "40.00"],
    ]


def test_an_officer_of_park_b_sees_no_enterprise_of_park_a_on_the_page(park_a_flows, client, officer_b):
    client.force_login(officer_b)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enterprise X" not in body and "Receiver R" not in body and 'data-testid="no-network"' in body


def test_enterprise_staff_may_not_open_the_page(park_a_flows, client, preparer_x):
    client.force_login(preparer_x)
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_officers_menu_leads_to_the_page(client, officer_a):
    client.force_login(officer_a)
    assert f'href="{URL}"' in client.get(reverse("reporting:opportunity_list")).content.decode()
