"""The bad-input catalogue: each hostile or malformed value is answered with a clear 4xx and leaves every
table as it was; text that is valid (Chinese with emoji and combining marks, strings that look like SQL
or HTML) is stored exactly and escaped wherever a page shows it."""

import json

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from registry.clients import create_api_client
from registry.models import Enterprise, Facility
from tests import factories as f

QUANTITIES = {
    "negative": "-1",
    "zero": "0",
    "nan": "NaN",
    "infinite": "Infinity",
    "negative infinite": "-Infinity",
    "huge": "1000000000000",
    "over 1,000,000 t a line": "1000000.0001",
    "over-precise": "1.00000000001",
    "not a number": "12吨",
    "empty": "",
    "null": None,
    "json number": 1e309,
}
HOSTILE_TEXT = {
    "sql": "'; DROP TABLE registry_enterprise; --",
    "html": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "emoji and combining marks": "危废暂存间 🏭♻️ e\u0301 \u5e9f\u0338",
}


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for model in apps.get_models():
            cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')  # noqa: S608 - table names from models
            counts[model._meta.label] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def erp(enterprise_x, receiver_r, carrier_c):
    _, token = create_api_client(name="企业X接口", scope="enterprise", enterprise=enterprise_x)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.store = f.FacilityFactory(enterprise=enterprise_x, name="一号库")
    return client


def post_json(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def ledger_body(store, quantity):
    return {"enterprise": store.enterprise_id, "facility": store.pk, "waste_code": "900-249-08",
            "stage": "generated", "quantity_t": quantity, "occurred_at": "2026-01-05T09:00:00+08:00"}  # fmt: skip


def manifest_body(x, c, r, store, quantity, code="900-249-08", waste_class="hazardous"):
    return {"consignor": x.pk, "carrier": c.pk, "receiver": r.pk, "waste_class": waste_class,
            "purpose": "utilization", "planned_date": "2026-12-01",
            "lines": [{"waste_code": code, "source_facility": store.pk, "declared_quantity_t": quantity,
                       "packaging_type": "drum", "packaging_count": 2, "physical_form": "liquid"}]}  # fmt: skip


@pytest.mark.parametrize("case", list(QUANTITIES), ids=list(QUANTITIES))
def test_bad_quantities_are_refused_and_nothing_is_written(erp, case, enterprise_x, carrier_c, receiver_r):
    before = table_counts()
    quantity = QUANTITIES[case]
    targets = [
        ("/api/v1/ledger-entries/", ledger_body(erp.store, quantity)),
        ("/api/v1/manifests/", manifest_body(enterprise_x, carrier_c, receiver_r, erp.store, quantity)),
    ]
    if case not in ("zero", "over 1,000,000 t a line"):  # a facility may be empty or hold millions of tonnes
        facility = {"enterprise": enterprise_x.pk, "name": "二号库", "kind": "yard", "capacity_t": quantity}
        targets.append(("/api/v1/facilities/", facility))
    for url, body in targets:
        raw = json.dumps(body, allow_nan=True)  # the JSON number case sends a literal the parser must refuse
        response = erp.post(url, raw, content_type="application/json")
        assert 400 <= response.status_code < 500, (url, quantity, response.status_code, response.content[:200])
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert table_counts() == before


@pytest.mark.parametrize(
    "code, waste_class",
    [
        ("999-999-99", "hazardous"),
        ("HW08", "hazardous"),
        ("841-001-01", "general"),
        ("SW01", "hazardous"),
        ("'; DROP TABLE x; --", "hazardous"),
    ],  # fmt: skip
)
def test_unknown_or_mismatched_waste_codes_are_refused(erp, code, waste_class, enterprise_x, carrier_c, receiver_r):
    before = table_counts()
    body = manifest_body(enterprise_x, carrier_c, receiver_r, erp.store, "5", code, waste_class)
    response = post_json(erp, "/api/v1/manifests/", body)
    assert 400 <= response.status_code < 500
    assert table_counts() == before


@pytest.mark.parametrize(
    "payload, content_type, status",
    [
        ("{not json", "application/json", 400),
        ('{"name": "x",}', "application/json", 400),
        ("[1, 2, 3]", "application/json", 400),
        ("name=x&kind=yard", "application/x-www-form-urlencoded", 415),
        ("<facility/>", "application/xml", 415),
        ("\xff\xfe", "application/json", 400),
    ],
)
def test_malformed_bodies_and_wrong_content_types(erp, payload, content_type, status):
    before = table_counts()
    response = erp.post("/api/v1/facilities/", payload, content_type=content_type)
    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert table_counts() == before


def test_an_oversized_body_is_413(erp, enterprise_x, settings):
    before = table_counts()
    body = {"enterprise": enterprise_x.pk, "name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
            "kind": "yard", "capacity_t": "1"}  # fmt: skip
    response = post_json(erp, "/api/v1/facilities/", body)
    assert response.status_code == 413
    assert table_counts() == before


@pytest.mark.parametrize("moment", ["2026-01-05T09:00:00", "2026-01-05 09:00", "05/01/2026", "2026-13-45T00:00:00Z"])
def test_dates_without_a_timezone_or_invalid_are_refused(erp, moment):
    before = table_counts()
    body = ledger_body(erp.store, "5") | {"occurred_at": moment}
    response = post_json(erp, "/api/v1/ledger-entries/", body)
    assert response.status_code == 400
    assert "occurred_at" in response.json()["error"]["fields"]
    assert table_counts() == before
    assert erp.get("/api/v1/ledger-entries/", {"updated_after": moment}).status_code == 400


@pytest.mark.parametrize("code", ["914403001922038217", "91440300192203821", "9144030019220382IO", "", "x" * 300])
def test_invalid_credit_codes_are_refused_in_the_registration_form(client, park_a, code):
    client.force_login(f.UserFactory(username="applicant"))
    before = table_counts()
    response = client.post(reverse("registry:enterprise_apply"), {
        "park": park_a.pk, "credit_code": code, "name": "测试企业", "industry_code": "C3011", "contact_name": "王",
        "contact_phone": "0856-1234567", "is_generator": "on", "facility-TOTAL_FORMS": "0",
        "facility-INITIAL_FORMS": "0"})  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["credit_code"]
    assert table_counts() == before


@pytest.mark.parametrize("name", list(HOSTILE_TEXT), ids=list(HOSTILE_TEXT))
def test_text_is_stored_exactly_and_escaped_in_pages(erp, client, officer_a, enterprise_x, name):
    text = HOSTILE_TEXT[name]
    before = table_counts()
    response = post_json(erp, "/api/v1/facilities/",
                         {"enterprise": enterprise_x.pk, "name": text, "kind": "yard", "capacity_t": "3"})  # fmt: skip
    assert response.status_code == 201, response.content
    assert Facility.objects.get(pk=response.json()["id"]).name == text
    patched = erp.patch(f"/api/v1/enterprises/{enterprise_x.pk}/", json.dumps({"contact_name": text}),
                        content_type="application/json")  # fmt: skip
    assert patched.status_code == 200
    assert Enterprise.objects.get(pk=enterprise_x.pk).contact_name == text
    # The text did nothing but be stored: one new facility and the two history rows of the writes, every
    # other table (the enterprises among them) exactly as it was.
    after = table_counts()
    assert {label: after[label] - before[label] for label in after if after[label] != before[label]} == {
        "registry.Facility": 1,
        "registry.HistoricalFacility": 1,
        "registry.HistoricalEnterprise": 1,
    }
    client.force_login(officer_a)
    response = client.get(reverse("reporting:enterprise_detail", args=[enterprise_x.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    if name == "html":
        assert "&lt;script&gt;" in page


def test_search_strings_that_look_like_sql_are_just_text(client, officer_a, enterprise_x):
    client.force_login(officer_a)
    for query in ["' OR '1'='1", "%' --", "\\", "_%"]:
        response = client.get(reverse("registry:enterprise_list"), {"q": query})
        assert response.status_code == 200
        assert list(response.context["page"]) == []


@pytest.mark.parametrize("value", ["0.0", "1.0", "7e-93", "0x1", "1 2", "½", "١"])
def test_ids_in_filters_must_be_whole_numbers_written_as_digits(erp, enterprise_x, value):
    response = erp.get("/api/v1/stock/", {"enterprise": value})
    assert response.status_code == 400
    assert "enterprise" in response.json()["error"]["fields"]
    assert erp.get("/api/v1/stock/", {"enterprise": enterprise_x.pk}).status_code == 200
