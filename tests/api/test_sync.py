"""Incremental sync: keyset pages in (updated_at, id) order, `updated_after`, and an exact mirror."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from registry.models import Enterprise, Park, WasteCode
from tests import factories as f
from wasteparks.api import pagination

from .conftest import error_of

ENTERPRISES = "/api/v1/enterprises/"


def _pages(caller, url):
    """Follow `next` until null; yield each page's results."""
    while url:
        response = caller.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"next", "results"}
        yield body["results"]
        url = body["next"]


@pytest.fixture
def enterprises(park_a):
    return [f.EnterpriseFactory(park=park_a, name=f"E{n:03d}") for n in range(25)]


def test_a_collection_answers_next_and_results_in_sync_order(provincial_platform, enterprises):
    response = provincial_platform.get(ENTERPRISES, {"page_size": 10})
    body = response.json()
    assert len(body["results"]) == 10
    assert body["next"].startswith("http://testserver/api/v1/enterprises/?")
    assert parse_qs(urlparse(body["next"]).query)["page_size"] == ["10"]
    rows = [row for page in _pages(provincial_platform, f"{ENTERPRISES}?page_size=10") for row in page]
    keys = [(row["updated_at"], row["id"]) for row in rows]
    assert len(rows) == 25 and len({row["id"] for row in rows}) == 25
    assert [(Enterprise.objects.get(pk=i).updated_at, i) for _, i in keys] == sorted(
        (e.updated_at, e.pk) for e in Enterprise.objects.all()
    )


def test_the_default_page_is_100_rows(provincial_platform, park_a):
    Enterprise.objects.bulk_create(
        [f.EnterpriseFactory.build(park=park_a, credit_code=f.credit_code(1000 + n)) for n in range(101)]
    )
    body = provincial_platform.get(ENTERPRISES).json()
    assert len(body["results"]) == 100 and body["next"]


@pytest.mark.parametrize("size", ["1001", "0", "-5", "ten", "1.5"])
def test_a_page_size_outside_1_to_1000_is_400(provincial_platform, catalogue, size):
    response = provincial_platform.get(ENTERPRISES, {"page_size": size})
    assert response.status_code == 400
    error = error_of(response)
    assert "page_size" in error["fields"] and "page_size" in error["message"]


def test_a_page_of_1000_is_allowed(provincial_platform, catalogue):
    assert provincial_platform.get(ENTERPRISES, {"page_size": 1000}).status_code == 200


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01T00:00:00+08:00", "2025-03-01T08:00:00", "2025-03-01"])
def test_a_malformed_or_naive_updated_after_is_400_naming_it(provincial_platform, catalogue, value):
    response = provincial_platform.get(ENTERPRISES, {"updated_after": value})
    assert response.status_code == 400
    error = error_of(response)
    assert "updated_after" in error["fields"]
    assert error["message"].startswith("updated_after:")


def test_a_tampered_cursor_is_400(provincial_platform, catalogue):
    for cursor in ("!!!", "bm90IGpzb24", "WzFd", pagination._encode(["updated_at", "not a date", 1])):
        response = provincial_platform.get(ENTERPRISES, {"cursor": cursor})
        assert response.status_code == 400
        assert "cursor" in error_of(response)["fields"]


def test_updated_after_returns_only_rows_changed_strictly_after(provincial_platform, enterprises):
    rows = [row for page in _pages(provincial_platform, ENTERPRISES) for row in page]
    resume = rows[-1]["updated_at"]
    assert provincial_platform.get(ENTERPRISES, {"updated_after": resume}).json()["results"] == []
    changed = enterprises[3]
    changed.contact_name = "王芳"
    changed.save(update_fields=["contact_name"])
    results = provincial_platform.get(ENTERPRISES, {"updated_after": resume}).json()["results"]
    assert [(row["id"], row["contact_name"]) for row in results] == [(changed.pk, "王芳")]


def test_an_unencoded_plus_in_the_offset_is_understood(provincial_platform, enterprises):
    response = provincial_platform.get(f"{ENTERPRISES}?updated_after=2000-01-01T00:00:00+08:00")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 25


def test_a_mirror_is_exact_when_rows_change_between_pages(provincial_platform, enterprises, park_a):
    """Rows already fetched and rows not yet fetched change, and a row is created, while the client pages."""
    mirror: dict[int, dict] = {}
    url = f"{ENTERPRISES}?page_size=5"
    page_number = 0
    while url:
        body = provincial_platform.get(url).json()
        for row in body["results"]:
            mirror[row["id"]] = row
        url = body["next"]
        page_number += 1
        # Between pages: change one row already mirrored and one not yet reached, and add a new one.
        ids = sorted(mirror)
        seen = Enterprise.objects.get(pk=ids[0])
        seen.contact_name = f"changed after page {page_number}"
        seen.save(update_fields=["contact_name"])
        unseen = Enterprise.objects.exclude(pk__in=ids).order_by("updated_at", "id").last()
        if unseen is not None:
            unseen.contact_name = f"changed before it was reached ({page_number})"
            unseen.save(update_fields=["contact_name"])
        f.EnterpriseFactory(park=park_a, name=f"created during page {page_number}")

    # Later: sync again from the largest updated_at seen, until nothing is new.
    while True:
        resume = max(row["updated_at"] for row in mirror.values())
        rows = [row for page in _pages(provincial_platform, f"{ENTERPRISES}?updated_after={resume}") for row in page]
        if not rows:
            break
        for row in rows:
            mirror[row["id"]] = row

    truth = {e.pk: e for e in Enterprise.objects.all()}
    assert set(mirror) == set(truth)
    for pk, enterprise in truth.items():
        assert mirror[pk]["contact_name"] == enterprise.contact_name
        assert mirror[pk]["name"] == enterprise.name


def test_filters_and_ordering(provincial_platform, enterprise_x, enterprise_y, carrier_c, park_a):
    by_park = provincial_platform.get(ENTERPRISES, {"park": park_a.pk}).json()["results"]
    assert {row["id"] for row in by_park} == {enterprise_x.pk, carrier_c.pk}
    carriers = provincial_platform.get(ENTERPRISES, {"role": "carrier"}).json()["results"]
    assert [row["id"] for row in carriers] == [carrier_c.pk]
    by_code = provincial_platform.get(ENTERPRISES, {"credit_code": enterprise_y.credit_code}).json()["results"]
    assert [row["id"] for row in by_code] == [enterprise_y.pk]
    Enterprise.objects.filter(pk=enterprise_y.pk).update(status="suspended")
    suspended = provincial_platform.get(ENTERPRISES, {"status": "suspended"}).json()["results"]
    assert [row["id"] for row in suspended] == [enterprise_y.pk]
    names = [row["name"] for row in provincial_platform.get(ENTERPRISES, {"ordering": "-name"}).json()["results"]]
    assert names == sorted(names, reverse=True)


def test_ordering_by_a_column_pages_without_gaps(provincial_platform, enterprises):
    rows = [row for page in _pages(provincial_platform, f"{ENTERPRISES}?ordering=name&page_size=7") for row in page]
    assert [row["name"] for row in rows] == sorted(e.name for e in enterprises)


def test_an_unknown_ordering_is_400(provincial_platform, catalogue):
    response = provincial_platform.get(ENTERPRISES, {"ordering": "contact_phone"})
    assert response.status_code == 400
    assert "ordering" in error_of(response)["fields"]


def test_reference_data_syncs_incrementally_like_everything_else(provincial_platform, catalogue):
    rows = [row for page in _pages(provincial_platform, "/api/v1/waste-codes/?page_size=7") for row in page]
    assert sorted(row["code"] for row in rows) == sorted(WasteCode.objects.values_list("code", flat=True))
    newest = max(row["updated_at"] for row in rows)
    corrected = WasteCode.objects.get(code="900-218-08")
    corrected.name_en = "Spent hydraulic oil"
    corrected.save(update_fields=["name_en"])
    again = provincial_platform.get("/api/v1/waste-codes/", {"updated_after": newest}).json()["results"]
    assert [row["code"] for row in again] == ["900-218-08"]


@pytest.mark.django_db(transaction=True)
def test_rows_committed_late_are_not_overtaken_by_a_reader(provincial_platform, park_a):
    """A writer whose transaction is still open holds back rows newer than its start, so a reader's
    resume point can never pass the rows it will commit."""
    old = f.EnterpriseFactory(park=park_a, name="old")
    Enterprise.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    fresh = f.EnterpriseFactory(park=park_a, name="fresh, committed")
    writing, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                late = Enterprise.objects.get(pk=old.pk)
                late.contact_name = "committed late"
                late.save(update_fields=["contact_name"])  # updated_at = now, visible only on commit
                writing.set()
                release.wait(10)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert writing.wait(10)
    try:
        first = provincial_platform.get(ENTERPRISES).json()["results"]
    finally:
        release.set()
        done.wait(10)
        thread.join()
    # While the writer was open, the freshly committed row was held back; only the old one came.
    assert [row["id"] for row in first] == [old.pk]
    resume = first[-1]["updated_at"]
    later = provincial_platform.get(ENTERPRISES, {"updated_after": resume}).json()["results"]
    assert {row["id"] for row in later} == {old.pk, fresh.pk}
    assert {row["contact_name"] for row in later if row["id"] == old.pk} == {"committed late"}


def test_no_row_is_held_back_when_no_writer_is_open(provincial_platform, enterprises):
    assert pagination.sync_horizon(Enterprise) is None or connection.vendor != "postgresql"
    assert len(provincial_platform.get(ENTERPRISES).json()["results"]) == 25


def test_parks_sync_too(provincial_platform, park_a, park_b):
    Park.objects.filter(pk=park_b.pk).update(updated_at=timezone.now() + timedelta(seconds=1))
    rows = provincial_platform.get("/api/v1/parks/", {"page_size": 1}).json()
    assert [row["id"] for row in rows["results"]] == [park_a.pk]
    assert [row["id"] for row in provincial_platform.get(rows["next"]).json()["results"]] == [park_b.pk]


def test_changing_a_nested_facility_or_permit_line_brings_the_enterprise_again(provincial_platform, receiver_r):
    first = [row for page in _pages(provincial_platform, ENTERPRISES) for row in page]
    newest = max(row["updated_at"] for row in first)
    line = receiver_r.permits.get().lines.get()
    line.annual_capacity_t = 1500
    line.save()
    again = provincial_platform.get(ENTERPRISES, {"updated_after": newest}).json()["results"]
    assert [row["id"] for row in again] == [receiver_r.pk]
    assert again[0]["permits"][0]["lines"][0]["annual_capacity_t"] == "1500.0000"
    newest = again[0]["updated_at"]
    facility = receiver_r.facilities.create(name="新堆场", kind="yard", capacity_t=10)
    again = provincial_platform.get(ENTERPRISES, {"updated_after": newest}).json()["results"]
    assert [row["id"] for row in again] == [receiver_r.pk]
    assert facility.pk in [item["id"] for item in again[0]["facilities"]]
