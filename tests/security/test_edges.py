"""Parsers at the edge: whatever bytes arrive, the answer is a 4xx in the error shape (or a page), never a
500, and nothing is written. Strict JSON, ASCII-only numbers, bounded resume points."""

import json

import pytest
from django.test import Client

from registry.clients import create_api_client
from registry.models import ApiScope
from tests import factories as f
from tests.security.test_bad_input import table_counts

LEDGER = "/api/v1/ledger-entries/"


@pytest.fixture
def erp(enterprise_x):
    _, token = create_api_client(name="企业X接口", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.store = f.FacilityFactory(enterprise=enterprise_x, name="一号库")
    return client


@pytest.fixture
def provincial_client(catalogue):
    _, token = create_api_client(name="省平台", scope=ApiScope.READ_ALL)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def ledger_text(store, quantity='"5"') -> str:
    return (
        f'{{"enterprise": {store.enterprise_id}, "facility": {store.pk}, "waste_code": "900-249-08", '
        f'"stage": "generated", "quantity_t": {quantity}, "occurred_at": "2026-01-05T09:00:00+08:00"}}'
    )


def assert_refused_in_error_shape(response, status=400):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]


def test_a_key_given_twice_is_refused_not_resolved_last_wins(erp):
    before = table_counts()
    body = ledger_text(erp.store).replace('"quantity_t": "5"', '"quantity_t": "5", "quantity_t": "500"')
    response = erp.post(LEDGER, body, content_type="application/json")
    assert_refused_in_error_shape(response)
    assert "quantity_t" in response.json()["error"]["message"]
    assert table_counts() == before


def test_json_nested_ten_thousand_deep_is_a_400_not_a_recursion_error(erp):
    before = table_counts()
    response = erp.post(LEDGER, "[" * 10_000 + "]" * 10_000, content_type="application/json")
    assert_refused_in_error_shape(response)
    assert table_counts() == before


def test_json_nested_just_beyond_the_limit_is_refused_and_within_it_parsed(erp):
    deep = {"note": "x"}
    for _ in range(25):
        deep = {"nested": deep}
    response = erp.post(LEDGER, json.dumps(deep), content_type="application/json")
    assert_refused_in_error_shape(response)
    shallow = json.loads(ledger_text(erp.store))
    assert erp.post(LEDGER, json.dumps(shallow), content_type="application/json").status_code == 201


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_constants_are_refused(erp, constant):
    before = table_counts()
    response = erp.post(LEDGER, ledger_text(erp.store, quantity=constant), content_type="application/json")
    assert_refused_in_error_shape(response)
    assert table_counts() == before


def test_a_nul_character_in_the_body_is_refused(erp):
    before = table_counts()
    body = json.loads(ledger_text(erp.store))
    body["batch_code"] = "B\x0001"
    response = erp.post(LEDGER, json.dumps(body), content_type="application/json")
    assert_refused_in_error_shape(response)
    assert table_counts() == before


@pytest.mark.parametrize("written", ["０１", "١", "१", "²"])
def test_an_id_written_in_other_digits_names_no_object(erp, enterprise_x, written):
    response = erp.get(f"/api/v1/enterprises/{written}/")
    assert response.status_code == 404
    assert erp.get(f"/api/v1/enterprises/{enterprise_x.pk}/").status_code == 200


@pytest.mark.parametrize("size", ["²", "１０", "1e3", "-1", "0", "99999999999999999999999"])
def test_a_page_size_not_written_in_ascii_digits_is_refused(erp, size):
    response = erp.get(LEDGER, {"page_size": size})
    assert_refused_in_error_shape(response)
    assert "page_size" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1969-12-31T23:59:59Z", "2100-01-01T00:00:01Z"],
)
def test_a_resume_point_outside_the_window_is_refused_not_an_overflow(provincial_client, moment):
    response = provincial_client.get(LEDGER, {"updated_after": moment})
    assert_refused_in_error_shape(response)
    assert "updated_after" in response.json()["error"]["fields"]


def test_the_epoch_is_a_valid_resume_point(provincial_client):
    assert provincial_client.get(LEDGER, {"updated_after": "1970-01-01T00:00:00Z"}).status_code == 200


@pytest.mark.parametrize("page", ["²", "١٢", "１", "99999999999999999999999", "-3", "abc"])
def test_list_pages_read_only_ascii_page_numbers(client, officer_a, enterprise_x, page):
    client.force_login(officer_a)
    for url in ("/registry/enterprises/", "/transfers/manifests/", "/transfers/ledger/", "/reporting/warnings/"):
        response = client.get(url, {"page": page})
        assert response.status_code == 200, (url, page, response.status_code)


@pytest.mark.parametrize("url", ["/registry/enterprises/", "/transfers/manifests/", "/reporting/warnings/"])
def test_a_nul_in_a_search_is_a_400_not_a_database_error(client, officer_a, url):
    client.force_login(officer_a)
    for params in ({"q": "\x00"}, {"q": "\x00", "export": "csv"}, {"sort": "name\x00"}):
        response = client.get(url, params)
        assert response.status_code == 400, (url, params, response.status_code)


def test_a_nul_in_a_query_parameter_of_the_api_is_answered_in_the_error_shape(erp):
    response = erp.get(LEDGER, {"batch_code": "\x00"})
    assert_refused_in_error_shape(response)


def test_a_nul_in_a_posted_form_is_refused_and_nothing_is_written(client, preparer_x):
    client.force_login(preparer_x)
    before = table_counts()
    response = client.post("/registry/enterprises/apply/", {"name": "企业\x00"})
    assert response.status_code == 400
    assert table_counts() == before


def test_free_text_beyond_the_limit_is_refused_by_the_api(officer_a, park_a, enterprise_x):
    from reporting.models import Warning
    from tests.api.conftest import session_of
    from tests.reporting.views_seed import many_warnings

    (warning,) = many_warnings(park=park_a, enterprise=enterprise_x, count=1)
    officer = session_of(officer_a, csrf=False)
    url = f"/api/v1/warnings/{warning.pk}/acknowledge/"
    response = officer.post(url, json.dumps({"note": "长" * 4001}), content_type="application/json")
    assert_refused_in_error_shape(response)
    assert "note" in response.json()["error"]["fields"]
    assert Warning.objects.get().status == "open"
    assert officer.post(url, json.dumps({"note": "长" * 4000}), content_type="application/json").status_code == 200
