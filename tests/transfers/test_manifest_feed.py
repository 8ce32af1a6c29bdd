"""The manifest list's page (transfers/api/feed.py): written by PostgreSQL or built in Python, the answer is
byte for byte what ManifestSerializer and the API's renderer write, whatever the names, texts, quantities,
times and time zone."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from rest_framework.renderers import JSONRenderer

from registry.clients import create_api_client
from registry.models import ApiScope, Enterprise, User
from tests.api.conftest import bearer
from tests.transfers.factories import draft
from transfers.api.feed import ManifestFeed
from transfers.api.serializers import ManifestSerializer
from transfers.api.viewsets import ManifestViewSet
from transfers.models import Manifest, ManifestEvent, ManifestLine
from wasteparks.api.renderers import FastJSONRenderer
from wasteparks.sync import Snapshot

pytestmark = pytest.mark.django_db

MANIFESTS = "/api/v1/manifests/"
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL writes the page")

# What a clerk may type into a free-text field: quotes, backslashes, every control character a text can
# hold, the two line separators JSON allows raw but DRF escapes, Chinese, an emoji, markup.
HOSTILE = (
    'say "hi" \\ C:\\temp\\ \n\r\t\b\f' + "".join(chr(code) for code in range(1, 32)) + "\x7f"
    " 铜仁大龙 \u2028 \u2029 😀 </script> \\u0041 é"
)
ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Asia/Kolkata"]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def platform(catalogue):
    _, token = create_api_client(name="Provincial platform", scope=ApiScope.READ_ALL)
    return bearer(token)


@pytest.fixture
def manifests(hazardous_draft, advance, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, clerk_r):
    """Enterprise X's manifests, every kind of value in them: a completed one with hostile texts, big and
    trailing-zero quantities, and signatures written after the others but dated before them, some at the
    same instant; a draft of three lines numbered out of the order they were written in; a draft stripped
    of its lines and signatures; in an order that is not their ids'."""
    completed = advance(hazardous_draft, "completed")
    Enterprise.objects.filter(pk=enterprise_x.pk).update(name='贵州 X "化工" \\ 有限公司\t' + HOSTILE[:60])
    User.objects.filter(pk=clerk_r.pk).update(username='clerk "r" \\ 铜仁😀')
    Manifest.objects.filter(pk=completed.pk).update(
        vehicle_plate='贵D"\\\n\u2028😀',
        reason=HOSTILE,
        submitted_at=at(2026, 3, 8, 6, 59, 59),  # before New York's clocks go forward, no microseconds
        picked_up_at=at(2026, 3, 8, 7, 0, 0, 123456),  # after
        received_at=at(2026, 3, 8, 7, 30, 0, 120000),  # microseconds with trailing zeros
        completed_at=at(2026, 11, 1, 5, 59, 59, 1),  # New York's last second of summer time, one microsecond
        cancelled_at=at(2026, 12, 31, 23, 59, 59, 999999),
    )
    ManifestLine.objects.filter(manifest=completed).update(
        declared_quantity_t=Decimal("9999999999.9999"),
        received_quantity_t=Decimal("1000"),
        accepted_quantity_t=Decimal("10.5000"),
        treated_quantity_t=Decimal("0.0001"),
        hazard='T,I "毒"\n',
        batch_code=HOSTILE[:64],
        rejection_reason=HOSTILE,
        treated_at=at(2026, 3, 9, 0, 0),
    )
    signature = completed.events.order_by("at", "id").last()
    for comment in (HOSTILE, "", "同一时刻"):  # at the same instant: written in the order of their ids
        ManifestEvent.objects.create(
            manifest=completed, action=signature.action, from_status=signature.from_status,
            to_status=signature.to_status, actor=signature.actor, signer_name=HOSTILE[:100],
            acting_enterprise=signature.acting_enterprise, party=signature.party, role=signature.role,
            comment=comment, source="api", at=at(2026, 3, 10, 8, 0, 0, 5),
        )  # fmt: skip
    several = draft(
        actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store,
        lines=[("900-249-08", "0.5"), ("900-249-08", "12.25"), ("900-249-08", "3")],
    )  # fmt: skip
    Manifest.objects.filter(pk=several.pk).update(planned_date=date(2028, 2, 29), driver=None, approval=None)
    lines = list(several.lines.order_by("id"))  # numbered out of the order they were written in
    ManifestLine.objects.filter(manifest=several).update(line_no=F("line_no") + 10)
    for line, number in zip(lines, (3, 1, 2), strict=True):
        ManifestLine.objects.filter(pk=line.pk).update(line_no=number)
    bare = draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    ManifestLine.objects.filter(manifest=bare).delete()
    assert not bare.events.exists()
    return [several.pk, completed.pk, bare.pk]


def serializers_page(ids: list[int]) -> list:
    """What ManifestSerializer says of the manifests, in the order of `ids`."""
    by_id = {manifest.pk: manifest for manifest in ManifestViewSet.queryset.filter(pk__in=ids)}
    return ManifestSerializer([by_id[pk] for pk in ids], many=True).data


@pytest.fixture
def one_snapshot(monkeypatch):
    """Every request reads at the first request's snapshot: the resume cursor carries the snapshot, and
    another session's transaction between two requests would otherwise change it."""
    taken: list[Snapshot] = []
    current = Snapshot.current

    def first(using: str = "default") -> Snapshot:
        if not taken:
            taken.append(current(using))
        return taken[0]

    monkeypatch.setattr(Snapshot, "current", staticmethod(first))


def rendered(results) -> bytes:
    return FastJSONRenderer().render({"next": None, "resume": None, "results": results})


@on_postgresql
@pytest.mark.parametrize("zone", ZONES)
def test_the_page_postgresql_writes_is_byte_for_byte_the_serializers(settings, manifests, zone):
    settings.TIME_ZONE = zone
    feed = ManifestFeed()
    assert feed.in_sql
    written = rendered(feed.page_text(manifests))
    assert written == rendered(serializers_page(manifests))
    assert written == rendered(feed.page_rows(manifests))
    assert b"\\u2028" in written and "\u2028".encode() not in written
    assert "铜仁大龙 ".encode() in written and "😀".encode() in written  # raw UTF-8, as DRF writes it


@pytest.mark.parametrize("zone", ZONES)
def test_the_page_built_in_python_is_byte_for_byte_the_serializers(settings, manifests, zone):
    settings.TIME_ZONE = zone
    assert rendered(ManifestFeed().page_rows(manifests)) == rendered(serializers_page(manifests))


@on_postgresql
def test_postgresql_writes_the_page_in_one_query_whatever_its_size(manifests, django_assert_num_queries):
    feed = ManifestFeed()
    for ids in (manifests[:1], manifests):
        with django_assert_num_queries(1):
            feed.page_text(ids)


def test_manifests_gone_from_the_table_are_left_out_of_the_page(manifests):
    gone = max(manifests) + 1000
    page = ManifestFeed().page([gone, *manifests, gone])
    assert [manifest["id"] for manifest in page] == manifests


def test_the_provincial_platform_gets_the_same_answer_whichever_way_the_page_is_built(
    platform, manifests, monkeypatch, one_snapshot
):
    sent = platform.get(MANIFESTS, {"page_size": 2})
    monkeypatch.setattr(ManifestFeed, "page", ManifestFeed.page_rows)
    built = platform.get(MANIFESTS, {"page_size": 2})
    assert sent.status_code == built.status_code == 200
    assert sent.content == built.content
    assert dict(sent.headers) == dict(built.headers)
    assert sent["Content-Type"] == "application/json"
    body = sent.json()
    assert list(body) == ["next", "resume", "results"] and body["next"] and len(body["results"]) == 2
    data = sent.data  # what a check reading the response sees: the manifests themselves
    assert [manifest["id"] for manifest in data["results"]] == [manifest["id"] for manifest in body["results"]]


def test_following_next_pages_gives_every_manifest_once_as_the_serializer_writes_it(platform, manifests):
    url, pages, results = f"{MANIFESTS}?page_size=2", [], []
    while url:
        response = platform.get(url)
        assert response.status_code == 200
        pages.append(response)
        results += response.json()["results"]
        url = response.json()["next"]
    assert [len(response.json()["results"]) for response in pages] == [2, 1]
    ids = [manifest["id"] for manifest in results]
    assert sorted(ids) == sorted(manifests)
    for response in pages:
        page_ids = [manifest["id"] for manifest in response.json()["results"]]
        body = {**response.json(), "results": serializers_page(page_ids)}
        assert response.content == FastJSONRenderer().render(body)


def test_a_client_asking_for_indented_json_gets_drfs_own_rendering(platform, manifests, monkeypatch, one_snapshot):
    indented = platform.get(MANIFESTS, HTTP_ACCEPT="application/json; indent=4")
    monkeypatch.setattr(ManifestFeed, "page", ManifestFeed.page_rows)
    built = platform.get(MANIFESTS, HTTP_ACCEPT="application/json; indent=4")
    assert indented.status_code == 200
    assert indented.content == built.content
    body = indented.json()
    assert indented.content == JSONRenderer().render(body, "application/json; indent=4")
    assert indented.content.startswith(b'{\n    "next": null,\n')


def test_a_client_asking_for_anything_but_json_is_refused_as_before(platform, manifests, monkeypatch):
    refused = platform.get(MANIFESTS, HTTP_ACCEPT="text/html")
    monkeypatch.setattr(ManifestFeed, "page", ManifestFeed.page_rows)
    assert refused.status_code == platform.get(MANIFESTS, HTTP_ACCEPT="text/html").status_code == 406
