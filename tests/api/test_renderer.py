"""The API's renderer writes exactly what DRF's JSONRenderer writes, byte for byte, only faster."""

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from wasteparks.api.renderers import FastJSONRenderer

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


def test_the_provincial_platforms_manifest_page_is_what_drf_would_have_written(
    provincial_platform, hazardous_draft, advance
):
    advance(hazardous_draft, "completed")  # lines, signatures, received and treated quantities, times
    response = provincial_platform.get("/api/v1/manifests/?page_size=10")
    assert response.status_code == 200 and response.json()["results"]
    assert response["Content-Type"] == "application/json"
    assert response.content == JSONRenderer().render(response.data)
