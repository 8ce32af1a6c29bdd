"""Incremental sync: runs between snapshots in change order, `next` and `resume`, and an exact mirror."""

import threading
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connections, transaction

from registry.models import Enterprise, WasteCode
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
        assert set(body) == {"next", "resume", "results"}
        yield body["results"]
        url = body["next"]


@pytest.fixture
def enterprises(park_a):
    return [f.EnterpriseFactory(park=park_a, name=f"E{n:03d}") for n in range(25)]


def test_a_collection_answers_next_resume_and_results_in_change_order(provincial_platform, enterprises):
    response = provincial_platform.get(ENTERPRISES, {"page_size": 10})
    body = response.json()
    assert len(body["results"]) == 10
    assert body["next"].startswith("http://testserver/api/v1/enterprises/?")
    assert body["resume"].startswith("http://testserver/api/v1/enterprises/?")
    assert parse_qs(urlparse(body["next"]).query)["page_size"] == ["10"]
    rows = [row for page in _pages(provincial_platform, f"{ENTERPRISES}?page_size=10") for row in page]
    assert len(rows) == 25 and len({row["id"] for row in rows}) == 25
    versions = dict(Enterprise.objects.values_list("pk", "sync_version"))
    assert [row["id"] for row in rows] == sorted(versions, key=lambda pk: (versions[pk], pk))


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
    change_cursors = (
        [None, None, None, None], ["9:3:", None, None, None], ["x", None, 1, 1], [None, "5:9:7", True, 1],
        [None, "5:9:7", 1, None], [None, "5:9:12", None, None], [None, 5, None, None],
    )  # fmt: skip
    tampered = ("!!!", "bm90IGpzb24", "WzFd", *(pagination._encode(["changes", *c]) for c in change_cursors))
    for cursor in tampered:
        response = provincial_platform.get(ENTERPRISES, {"cursor": cursor})
        assert response.status_code == 400, cursor
        assert "cursor" in error_of(response)["fields"]
    sorted_cursor = pagination._encode(["updated_at", "not a date", 1])
    response = provincial_platform.get(ENTERPRISES, {"cursor": sorted_cursor, "ordering": "updated_at"})
    assert response.status_code == 400 and "cursor" in error_of(response)["fields"]
    # A cursor of one order given to the other is refused, not misread.
    response = provincial_platform.get(ENTERPRISES, {"cursor": sorted_cursor})
    assert response.status_code == 400 and "cursor" in error_of(response)["fields"]


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


def _run(caller, url: str, mirror: dict[int, dict]) -> str:
    """One sync run as docs/api.md tells it: follow `next`, upsert each page's rows by id, and keep the
    `resume` URL for the next run."""
    while True:
        body = caller.get(url).json()
        for row in body["results"]:
            mirror[row["id"]] = row
        if body["next"] is None:
            return body["resume"]
        url = body["next"]


@pytest.mark.django_db(transaction=True)
def test_a_mirror_is_exact_when_rows_change_between_pages(provincial_platform, enterprises, park_a):
    """Rows already fetched and rows not yet fetched change, and a row is created, while the client pages."""
    mirror: dict[int, dict] = {}
    url = f"{ENTERPRISES}?page_size=5"
    page_number = 0
    resume = None
    while url:
        body = provincial_platform.get(url).json()
        for row in body["results"]:
            mirror[row["id"]] = row
        url, resume = body["next"], body["resume"]
        page_number += 1
        # Between pages: change one row already mirrored and one not yet reached, and add a new one.
        ids = sorted(mirror)
        seen = Enterprise.objects.get(pk=ids[0])
        seen.contact_name = f"changed after page {page_number}"
        seen.save(update_fields=["contact_name"])
        unseen = Enterprise.objects.exclude(pk__in=ids).order_by("sync_version", "id").last()
        if unseen is not None:
            unseen.contact_name = f"changed before it was reached ({page_number})"
            unseen.save(update_fields=["contact_name"])
        f.EnterpriseFactory(park=park_a, name=f"created during page {page_number}")

    # The next run starts from `resume` and brings everything changed since the first run began.
    resume = _run(provincial_platform, resume, mirror)
    truth = {e.pk: e for e in Enterprise.objects.all()}
    assert set(mirror) == set(truth)
    for pk, enterprise in truth.items():
        assert mirror[pk]["contact_name"] == enterprise.contact_name
        assert mirror[pk]["name"] == enterprise.name
    # A run with nothing new answers no rows and a resume point of its own.
    body = provincial_platform.get(resume).json()
    assert body["results"] == [] and body["next"] is None and body["resume"]


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


class _HeldWriter:
    """A transaction in another connection that changes a row and stays open until released."""

    def __init__(self, pk: int, contact_name: str):
        self.writing, self.release, self.done = threading.Event(), threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._write, args=(pk, contact_name))

    def _write(self, pk, contact_name):
        try:
            with transaction.atomic():
                late = Enterprise.objects.get(pk=pk)
                late.contact_name = contact_name
                late.save(update_fields=["contact_name"])
                self.writing.set()
                self.release.wait(10)
        finally:
            connections.close_all()
            self.done.set()

    def __enter__(self):
        self.thread.start()
        assert self.writing.wait(10)
        return self

    def commit(self):
        self.release.set()
        assert self.done.wait(10)
        self.thread.join()

    def __exit__(self, *exc):
        if not self.done.is_set():
            self.commit()


@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_holds_nothing_back_and_its_row_comes_in_the_next_run(provincial_platform, park_a):
    """A writer keeps its transaction open: rows committed meanwhile are served at once; the writer's row
    is served by the first run that starts after it commits, even though its version sorts before them."""
    old = f.EnterpriseFactory(park=park_a, name="old")
    resume = _run(provincial_platform, ENTERPRISES, {})
    with _HeldWriter(old.pk, "committed late") as writer:
        fresh = f.EnterpriseFactory(park=park_a, name="fresh, committed")
        body = provincial_platform.get(resume).json()
        assert [row["id"] for row in body["results"]] == [fresh.pk]  # not held back by the open writer
        resume = body["resume"]
        writer.commit()
    body = provincial_platform.get(resume).json()
    assert [(row["id"], row["contact_name"]) for row in body["results"]] == [(old.pk, "committed late")]


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_while_a_run_pages_is_left_for_the_next_run_never_skipped(provincial_platform, park_a):
    """The reproduction of a skipped row: a run's later pages must not carry a row committed after the
    run began while an earlier change is still open (a client resuming after them would pass it)."""
    held, *others = [f.EnterpriseFactory(park=park_a, name=f"E{n}") for n in range(4)]
    resume = _run(provincial_platform, ENTERPRISES, {})
    with _HeldWriter(held.pk, "held back") as writer:
        for n, enterprise in enumerate(others):
            Enterprise.objects.filter(pk=enterprise.pk).update(contact_name=f"first {n}")
        body = provincial_platform.get(f"{resume}&page_size=1").json()
        rows = list(body["results"])
        # Committed after the run began: a newer version than everything in this run.
        Enterprise.objects.filter(pk=others[0].pk).update(contact_name="after the run began")
        writer.commit()
        while body["next"]:
            body = provincial_platform.get(body["next"]).json()
            rows += body["results"]
        resume = body["resume"]
    assert [row["id"] for row in rows] == [e.pk for e in others]
    assert [row["contact_name"] for row in rows][1:] == ["first 1", "first 2"]
    later = {row["id"]: row["contact_name"] for page in _pages(provincial_platform, resume) for row in page}
    assert later == {held.pk: "held back", others[0].pk: "after the run began"}


@pytest.mark.django_db(transaction=True)
def test_a_client_interrupted_mid_page_loses_nothing_resuming_from_its_saved_url(provincial_platform, park_a):
    """A client that saves each page's `next` (or the run's `resume`) only after storing the page's rows,
    and crashes anywhere, resumes from the saved URL: at worst one page comes twice."""
    for n in range(9):
        f.EnterpriseFactory(park=park_a, name=f"E{n}")
    mirror: dict[int, dict] = {}
    saved = f"{ENTERPRISES}?page_size=4"
    body = provincial_platform.get(saved).json()
    for row in body["results"][:2]:  # crash after storing half of the first page
        mirror[row["id"]] = row
    Enterprise.objects.filter(name="E8").update(contact_name="changed during the crash")
    resume = _run(provincial_platform, saved, mirror)
    _run(provincial_platform, resume, mirror)
    truth = dict(Enterprise.objects.values_list("pk", "contact_name"))
    assert {pk: row["contact_name"] for pk, row in mirror.items()} == truth


def test_an_updated_after_filter_still_answers_a_resume_point(provincial_platform, enterprises):
    body = provincial_platform.get(ENTERPRISES, {"updated_after": "2000-01-01T00:00:00+08:00"}).json()
    assert len(body["results"]) == 25
    assert "updated_after" not in parse_qs(urlparse(body["resume"]).query)


def test_parks_sync_too(provincial_platform, park_a, park_b):
    rows = provincial_platform.get("/api/v1/parks/", {"page_size": 1}).json()
    first = rows["results"][0]["id"]
    assert [row["id"] for row in provincial_platform.get(rows["next"]).json()["results"]] == [
        pk for pk in (park_a.pk, park_b.pk) if pk != first
    ]


@pytest.mark.django_db(transaction=True)
def test_changing_a_nested_facility_or_permit_line_brings_the_enterprise_again(provincial_platform, receiver_r):
    resume = _run(provincial_platform, ENTERPRISES, {})
    line = receiver_r.permits.get().lines.get()
    line.annual_capacity_t = 1500
    line.save()
    again: dict[int, dict] = {}
    resume = _run(provincial_platform, resume, again)
    assert list(again) == [receiver_r.pk]
    assert again[receiver_r.pk]["permits"][0]["lines"][0]["annual_capacity_t"] == "1500.0000"
    facility = receiver_r.facilities.create(name="新堆场", kind="yard", capacity_t=10)
    again = {}
    _run(provincial_platform, resume, again)
    assert list(again) == [receiver_r.pk]
    assert facility.pk in [item["id"] for item in again[receiver_r.pk]["facilities"]]
