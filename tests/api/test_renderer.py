"""The API's renderer writes exactly what DRF's JSONRenderer writes, byte for byte, only faster."""

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from wasteparks.api.renderers import FastJSONRenderer, JSONArrayText

SHANGHAI = timezone(timedelta(hours=8))

VALUES = [
    {"number": "HW-2026-000001", "quantity_t": "12.5000", "count": 3, "ok": True, "none": None},
    {"at": datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC)},  # DRF: milliseconds and "Z"
    {"at": datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI), "naive": datetime(2026, 12, 1, 8, 0, 0, 500)},
    {"day": date(2028, 2, 29), "time": time(7, 30, 15, 250000)},
    {"decimal": Decimal("0.1"), "float": 0.1 + 0.2, "big": 2**53 + 1, "negative": -7},
    {"uuid": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"name": "铜仁大龙经济开发区", "quote": 'say "hi"\\', "controls": "tab\tnew\nline\x01"},
    {"separators": "a\u2028b\u2029c"},  # escaped, as JavaScript needs
    {"lazy": gettext_lazy("Dashboard")},
    {1: "integer key", "nested": [[], {}, [1, [2, [3]]], ("tuple", 1)]},
    [],
    "",
]


@pytest.mark.parametrize("data", VALUES, ids=range(len(VALUES)))
def test_the_renderer_writes_drfs_bytes(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_nothing_renders_as_an_empty_body():
    assert FastJSONRenderer().render(None) == b""


def test_a_client_asking_for_indented_json_gets_it():
    data = {"a": [1, 2]}
    indented = FastJSONRenderer().render(data, "application/json; indent=2")
    assert indented == JSONRenderer().render(data, "application/json; indent=2")
    assert indented == b'{\n  "a": [\n    1,\n    2\n  ]\n}'


# JSON text written elsewhere (by PostgreSQL, for the manifest list), as the renderer writes those items.
WRITTEN = (
    '[{"id":1,"name":"铜仁 \\"X\\" \\\\ \\n","at":"2026-12-01T08:00:00+08:00","sep":"a\u2028b"},{"no":null}]'
).encode()
DECODED = [{"id": 1, "name": '铜仁 "X" \\ \n', "at": "2026-12-01T08:00:00+08:00", "sep": "a\u2028b"}, {"no": None}]


def test_json_text_written_elsewhere_is_put_into_the_answer_as_it_is():
    data = {"next": None, "results": JSONArrayText(WRITTEN)}
    assert FastJSONRenderer().render(data) == JSONRenderer().render({"next": None, "results": DECODED})
    assert b'"sep":"a\\u2028b"' in FastJSONRenderer().render(data)  # the separators escaped there too


def test_a_client_asking_for_indented_json_gets_drfs_rendering_of_json_text_written_elsewhere():
    media_type = "application/json; indent=4"
    indented = FastJSONRenderer().render({"results": JSONArrayText(WRITTEN)}, media_type)
    assert indented == JSONRenderer().render({"results": DECODED}, media_type)


def test_code_reading_json_text_written_elsewhere_sees_its_items():
    text = JSONArrayText(WRITTEN)
    assert list(text) == DECODED and len(text) == 2 and text[0]["id"] == 1


def test_the_provincial_platforms_manifest_page_is_what_drf_would_have_written(
    provincial_platform, hazardous_draft, advance
):
    advance(hazardous_draft, "completed")  # lines, signatures, received and treated quantities, times
    response = provincial_platform.get("/api/v1/manifests/?page_size=10")
    assert response.status_code == 200 and response.json()["results"]
    assert response["Content-Type"] == "application/json"
    assert response.content == JSONRenderer().render(response.data)
