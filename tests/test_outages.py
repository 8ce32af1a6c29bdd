"""A database that goes away mid-request answers 503 with Retry-After, never a 500: in the API's error
shape under /api/, as a plain page elsewhere; and nothing is half written."""

import contextlib

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.urls import reverse

from registry.clients import create_api_client
from registry.models import ApiScope
from tests.api.conftest import bearer
from tests.transfers.test_api import manifest_body
from transfers.models import Manifest, ManifestStatus

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def database_lost_at(table: str):
    """Every statement that touches `table` fails as a lost connection does (the server went away)."""
    execute = CursorWrapper.execute

    def failing(self, sql, params=None):
        if table in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(self, sql, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", failing)
        yield


@pytest.fixture
def erp(enterprise_x):
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    return bearer(token)


def test_an_api_read_during_an_outage_answers_503_in_the_error_shape(erp, hazardous_draft):
    with database_lost_at('"transfers_manifest"'):
        response = erp.get("/api/v1/manifests/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "The service is briefly unavailable; please try again in a moment.",
            "fields": {},
        }
    }


def test_an_api_write_during_an_outage_answers_503_and_writes_nothing(
    erp, enterprise_x, carrier_c, receiver_r, x_store, parties
):
    before = Manifest.objects.count()
    with database_lost_at('INSERT INTO "transfers_manifestline"'):
        response = erp.post("/api/v1/manifests/", manifest_body(enterprise_x, carrier_c, receiver_r, x_store))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert Manifest.objects.count() == before  # the manifest row written before the failure is rolled back


def test_a_page_during_an_outage_answers_a_plain_503_page(client, preparer_x, hazardous_draft):
    client.force_login(preparer_x)
    client.raise_request_exception = False  # as a real server: the error becomes a response
    with database_lost_at('"transfers_manifest"'):
        response = client.get(reverse("transfers:manifest_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert 'data-testid="service-unavailable"' in html
    assert "please try again in a moment" in html


def test_a_signature_during_an_outage_answers_503_and_leaves_the_manifest_as_it_was(
    client, preparer_x, hazardous_draft
):
    client.force_login(preparer_x)
    client.raise_request_exception = False
    with database_lost_at('INSERT INTO "transfers_manifestevent"'):
        response = client.post(reverse("transfers:manifest_sign", args=[hazardous_draft.pk, "submit"]))
    assert response.status_code == 503
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.DRAFT


def test_other_errors_are_still_500(client, preparer_x, hazardous_draft, monkeypatch):
    client.force_login(preparer_x)
    client.raise_request_exception = False

    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get(reverse("transfers:manifest_list"))
    assert response.status_code == 500
    assert "Retry-After" not in response
