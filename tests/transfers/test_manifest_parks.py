"""A manifest's park links (ManifestPark) are kept by the database on every write path, and a park
officer's manifests, read through them, are exactly those a party of their park is on, newest first."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.models import Enterprise
from tests import factories as f
from tests.transfers.factories import draft
from transfers.manifest_parks import LINKS, links_of
from transfers.models import Manifest, ManifestPark

pytestmark = pytest.mark.django_db


def links() -> set[tuple[int, int]]:
    return set(ManifestPark.objects.values_list("manifest_id", "park_id"))


def parks_of_parties() -> set[tuple[int, int]]:
    """What the links must be: each manifest with the park of each of its parties, once per park."""
    return {
        (manifest.pk, enterprise.park_id)
        for manifest in Manifest.objects.select_related("consignor", "carrier", "receiver")
        for enterprise in (manifest.consignor, manifest.carrier, manifest.receiver)
    }


@pytest.fixture
def receiver_in_park_b(park_b):
    return f.EnterpriseFactory(name="Receiver S (park B)", park=park_b, is_generator=False, is_receiver=True)


def test_a_draft_within_one_park_is_linked_to_that_park_once(hazardous_draft, park_a):
    assert links() == {(hazardous_draft.pk, park_a.pk)}
    link = ManifestPark.objects.get()
    assert link.created_at == hazardous_draft.created_at


def test_a_receiver_changed_to_another_parks_enterprise_moves_the_links_with_it(
    hazardous_draft, park_a, park_b, receiver_in_park_b
):
    # A queryset update: no save(), no signal; the database alone keeps the links.
    Manifest.objects.filter(pk=hazardous_draft.pk).update(receiver=receiver_in_park_b)
    assert links() == {(hazardous_draft.pk, park_a.pk), (hazardous_draft.pk, park_b.pk)}
    Manifest.objects.filter(pk=hazardous_draft.pk).update(receiver=hazardous_draft.receiver)
    assert links() == {(hazardous_draft.pk, park_a.pk)}


def stored_rows() -> list[str]:
    """Where the links' rows lie (PostgreSQL's ctid): a rewritten row lies elsewhere."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ctid::text FROM {LINKS} ORDER BY manifest_id, park_id")  # noqa: S608
        return [ctid for (ctid,) in cursor.fetchall()]


def test_a_save_that_changes_no_party_leaves_the_links_alone(hazardous_draft, receiver_in_park_b):
    before = stored_rows()
    hazardous_draft.vehicle_plate = "贵D54321"
    hazardous_draft.save()
    assert stored_rows() == before
    # The check can fail: a change of party rewrites the rows.
    Manifest.objects.filter(pk=hazardous_draft.pk).update(receiver=receiver_in_park_b)
    assert stored_rows() != before


def test_an_enterprise_moved_to_another_park_takes_its_manifests_links_along(
    hazardous_draft, carrier_c, park_a, park_b
):
    Enterprise.objects.filter(pk=carrier_c.pk).update(park=park_b)
    assert links() == {(hazardous_draft.pk, park_a.pk), (hazardous_draft.pk, park_b.pk)} == parks_of_parties()
    Enterprise.objects.filter(pk=carrier_c.pk).update(park=park_a)
    assert links() == {(hazardous_draft.pk, park_a.pk)}


def test_a_deleted_manifest_takes_its_links_with_it(hazardous_draft):
    hazardous_draft.lines.all().delete()
    Manifest.objects.filter(pk=hazardous_draft.pk).delete()
    assert links() == set()


def test_a_deployment_migrating_its_manifests_gets_every_link_written(
    parties, enterprise_x, carrier_c, receiver_r, receiver_in_park_b, x_store, preparer_x
):
    for receiver in (receiver_r, receiver_in_park_b, receiver_r):
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver, facility=x_store)
    expected = links()
    assert expected == parks_of_parties()
    assert len(expected) == 4
    # The migration's statement (transfers 0013) on manifests that have none.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LINKS}")  # noqa: S608
        cursor.execute(links_of("TRUE"))
    assert links() == expected


def test_a_park_officer_lists_exactly_the_manifests_a_party_of_their_park_is_on(
    client, parties, officer_a, officer_b, park_b, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
):
    """Officer A sees the manifests of park A's parties, newest first, each once even when all three
    parties are in park A; officer B only the one whose receiver is in park B."""
    in_park_b = f.EnterpriseFactory(name="Receiver S (park B)", park=park_b, is_generator=False, is_receiver=True)
    within_a = [
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
        for _ in range(3)
    ]
    to_b = draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=in_park_b, facility=x_store)
    # Two created at the same moment: the later id comes first, as on every other list.
    same_time = timezone.now() - timedelta(days=1)
    Manifest.objects.filter(pk__in=[within_a[0].pk, within_a[1].pk]).update(created_at=same_time)
    ManifestPark.objects.filter(manifest__in=[within_a[0], within_a[1]]).update(created_at=same_time)

    assert list(Manifest.objects.listed_for(officer_a).order_by("-listed_at", "-pk")) == [
        to_b,
        within_a[2],
        within_a[1],
        within_a[0],
    ]
    assert list(Manifest.objects.listed_for(officer_b)) == [to_b]
    # The same rows as the parties give, whichever way they are read.
    for officer in (officer_a, officer_b):
        assert set(Manifest.objects.listed_for(officer)) == set(Manifest.objects.visible_to(officer))
    assert LINKS in str(Manifest.objects.listed_for(officer_a).query)
    assert LINKS not in str(Manifest.objects.visible_to(officer_a).query)

    client.force_login(officer_a)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/transfers/manifests/").context["page"]
    assert [row.pk for row in page.object_list] == [to_b.pk, within_a[2].pk, within_a[1].pk, within_a[0].pk]
    rows_read = [query["sql"] for query in queries if 'FROM "transfers_manifest"' in query["sql"]]
    listed = next(sql for sql in rows_read if "LIMIT" in sql)
    assert LINKS in listed and "NULLS LAST" not in listed


def test_an_officer_who_is_also_a_member_sees_both_without_the_links(
    client, hazardous_draft, officer_a, enterprise_y, preparer_y, park_b
):
    """A scope of more than one park's officer powers is read through the parties, not the links."""
    f.member(officer_a, enterprise_y)
    own = draft(
        actor=preparer_y,
        consignor=enterprise_y,
        carrier=f.EnterpriseFactory(name="Carrier D (park B)", park=park_b, is_generator=False, is_carrier=True),
        receiver=f.EnterpriseFactory(name="Receiver T (park B)", park=park_b, is_generator=False, is_receiver=True),
        facility=f.FacilityFactory(enterprise=enterprise_y, name="Y store"),
    )
    listed = Manifest.objects.listed_for(officer_a)
    assert set(listed) == {hazardous_draft, own} == set(Manifest.objects.visible_to(officer_a))
    assert LINKS not in str(listed.query)
