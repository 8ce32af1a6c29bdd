"""The helpers every list page shares (wasteparks/lists.py): a count that stops at a horizon, page
numbers that cannot break a page, and an order an index can serve."""

import pytest
from django.db.models import F
from django.db.models.functions import Coalesce
from django.test import RequestFactory
from django.urls import reverse

from tests.transfers.factories import draft
from transfers.models import Manifest
from transfers.views.manifests import MANIFEST_SORTS
from wasteparks import lists
from wasteparks.lists import sort_by_request

pytestmark = pytest.mark.django_db
URL = reverse("transfers:manifest_list")


@pytest.fixture
def seven_drafts(parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, monkeypatch):
    monkeypatch.setattr(lists, "PAGE_SIZE", 2)
    monkeypatch.setattr(lists, "COUNTED_PAGES", 1)
    return [
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
        for _ in range(7)
    ]


def test_a_long_list_counts_only_to_its_horizon_and_says_there_is_more(client, officer_a, seven_drafts):
    client.force_login(officer_a)
    response = client.get(URL)
    paginator = response.context["page"].paginator
    # Page 1 of 2 rows, counted one page beyond: 4 rows counted, and more exist.
    assert (paginator.count, paginator.more, paginator.num_pages) == (4, True, 2)
    html = response.content.decode()
    assert "More than 4 manifests" in html and "Page 1 of more than 2" in html


def test_a_later_page_moves_the_horizon_so_every_row_stays_reachable(client, officer_a, seven_drafts):
    client.force_login(officer_a)
    page = client.get(URL, {"page": 3}).context["page"]
    assert (page.number, page.paginator.count, page.paginator.more) == (3, 7, False)
    last = client.get(URL, {"page": 4}).context["page"]
    assert [m.pk for m in last.object_list] == [seven_drafts[0].pk]
    html = client.get(URL, {"page": 4}).content.decode()
    assert "7 manifests" in html and "Page 4 of 4" in html


@pytest.mark.parametrize("page", ["x", "-1", "0", "", "99999999999999999999999999"])
def test_any_page_number_gives_a_page(client, officer_a, seven_drafts, page):
    client.force_login(officer_a)
    response = client.get(URL, {"page": page})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) >= 1


def test_the_count_reads_no_further_than_the_horizon(client, officer_a, seven_drafts, django_assert_max_num_queries):
    client.force_login(officer_a)
    with django_assert_max_num_queries(20) as captured:
        client.get(URL)
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 5" in counts[0]


def _order_by(sort: str, manifests=None) -> str:
    """The ORDER BY of the list's rows (`listed_at` as ManifestQuerySet.listed_for sets it)."""
    request = RequestFactory().get("/", {"sort": sort})
    rows = Manifest.objects.alias(listed_at=F("created_at")) if manifests is None else manifests
    ordered, _ = sort_by_request(rows, request, MANIFEST_SORTS, "-created_at")
    return str(ordered.query).split("ORDER BY")[1]


def test_nulls_last_only_where_the_column_can_be_null():
    # created_at is never null: a plain DESC lets PostgreSQL read the newest from its index, the
    # manifests' own or (a park officer's) their park links'.
    assert "NULLS" not in _order_by("-created_at")
    through_links = Manifest.objects.filter(park_links__park_id=1).alias(listed_at=F("park_links__created_at"))
    assert "NULLS" not in _order_by("-created_at", through_links)
    assert "NULLS" not in _order_by("consignor")
    assert "NULLS LAST" in _order_by("-submitted_at") and "NULLS LAST" in _order_by("submitted_at")
    # Any other annotation may be null.
    either = Manifest.objects.alias(listed_at=Coalesce("submitted_at", "created_at"))
    assert "NULLS LAST" in _order_by("-created_at", either)


def test_drafts_without_a_submission_time_sort_last_either_way(
    parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, advance
):
    submitted = advance(
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store),
        "submitted",
    )
    unsigned = draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    for sort in ("submitted_at", "-submitted_at"):
        request = RequestFactory().get("/", {"sort": sort})
        manifests, _ = sort_by_request(Manifest.objects.all(), request, MANIFEST_SORTS, "-created_at")
        assert [m.pk for m in manifests] == [submitted.pk, unsigned.pk]


def _counts(client, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(20) as captured:
        client.get(URL)
    return sum("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_an_officers_long_list_is_counted_once_a_minute_as_more_than_its_horizon(
    client, officer_a, seven_drafts, django_assert_max_num_queries
):
    client.force_login(officer_a)
    assert _counts(client, django_assert_max_num_queries) == 1
    # Counted again within the minute: the list still has more rows than its horizon, said without counting.
    assert _counts(client, django_assert_max_num_queries) == 0
    paginator = client.get(URL).context["page"].paginator
    assert (paginator.count, paginator.more, paginator.num_pages) == (4, True, 2)
    # Another page asks another count (its horizon is further on).
    with django_assert_max_num_queries(20) as captured:
        client.get(URL, {"page": 3})
    assert sum("COUNT(" in q["sql"].upper() for q in captured.captured_queries) == 1


def test_a_clerks_short_list_counts_the_manifest_just_written_at_once(
    client, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, monkeypatch
):
    monkeypatch.setattr(lists, "PAGE_SIZE", 2)
    monkeypatch.setattr(lists, "COUNTED_PAGES", 1)
    client.force_login(preparer_x)
    make = {
        "actor": preparer_x,
        "consignor": enterprise_x,
        "carrier": carrier_c,
        "receiver": receiver_r,
        "facility": x_store,
    }
    draft(**make)
    assert client.get(URL).context["page"].paginator.count == 1
    draft(**make)
    assert client.get(URL).context["page"].paginator.count == 2


def test_a_list_row_reads_only_what_it_shows(client, officer_a, seven_drafts, django_assert_max_num_queries):
    client.force_login(officer_a)
    with django_assert_max_num_queries(20) as captured:
        html = client.get(URL).content.decode()
    rows = next(
        q["sql"] for q in captured.captured_queries if 'FROM "transfers_manifest"' in q["sql"] and "LIMIT 2" in q["sql"]
    )
    assert '"registry_enterprise"."credit_code"' not in rows and '"transfers_manifest"."emergency_measures"' not in rows
    # Every party's name and each line's code are on the page all the same, with no query per row.
    drafted = seven_drafts[-1]
    assert drafted.consignor.name in html and drafted.receiver.name in html
    assert drafted.lines.first().waste_code.code in html
