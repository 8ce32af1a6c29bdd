"""One error shape for every failure under /api/, and nothing written on any of them."""

import json

import pytest
from django.db import IntegrityError
from rest_framework.test import APIRequestFactory

from registry.models import Facility
from tests import factories as f
from wasteparks.api.errors import exception_handler
from wasteparks.errors import RuleViolation, TransitionNotAllowed

from .conftest import Caller, error_of


def test_an_unknown_path_under_api_is_a_json_404(provincial_platform):
    for path in ("/api/v1/nothing-here/", "/api/v2/parks/", "/api/", "/api"):
        response = provincial_platform.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert error_of(response)["code"] == "not_found"


def test_a_missing_trailing_slash_is_named_in_the_404(provincial_platform):
    response = provincial_platform.get("/api/v1/parks")
    assert response.status_code == 404
    assert "/api/v1/parks/" in error_of(response)["message"]


def test_an_unknown_object_is_a_json_404(provincial_platform):
    response = provincial_platform.get("/api/v1/parks/999999/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_method_the_endpoint_does_not_serve_is_405(erp_x, enterprise_x):
    response = erp_x.delete(f"/api/v1/enterprises/{enterprise_x.pk}/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_body_that_is_not_json_is_415(erp_x, enterprise_x):
    response = erp_x.generic(
        "PATCH", f"/api/v1/enterprises/{enterprise_x.pk}/", "contact_name=x", content_type="text/plain"
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    assert "text/plain" in error_of(response)["message"]


def test_malformed_json_is_400_naming_the_problem(erp_x, enterprise_x):
    before = enterprise_x.contact_name
    response = erp_x.generic("PATCH", f"/api/v1/enterprises/{enterprise_x.pk}/", '{"contact_name": ')
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"
    assert "JSON" in error_of(response)["message"]
    enterprise_x.refresh_from_db()
    assert enterprise_x.contact_name == before


def test_an_unknown_field_is_400_naming_the_field(erp_x, enterprise_x):
    response = erp_x.patch(f"/api/v1/enterprises/{enterprise_x.pk}/", {"contact_name": "李娜", "colour": "red"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"] == {"colour": ["Unknown field."]}
    assert error["message"].startswith("colour:")
    enterprise_x.refresh_from_db()
    assert enterprise_x.contact_name != "李娜"


def test_a_field_the_endpoint_does_not_let_you_change_is_400(erp_x, enterprise_x):
    response = erp_x.patch(f"/api/v1/enterprises/{enterprise_x.pk}/", {"status": "active"})
    assert response.status_code == 400
    assert "status" in error_of(response)["fields"]


def test_a_body_over_the_size_limit_is_413_and_writes_nothing(erp_x, enterprise_x, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = json.dumps({"enterprise": enterprise_x.pk, "name": "x" * 4000, "kind": "yard", "capacity_t": "1"})
    response = erp_x.generic("POST", "/api/v1/facilities/", body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    assert "2048" in error_of(response)["message"]
    assert not Facility.objects.exists()


def test_a_bad_value_is_400_with_field_messages_and_writes_nothing(erp_x, enterprise_x):
    response = erp_x.post(
        "/api/v1/facilities/", {"enterprise": enterprise_x.pk, "name": "Yard", "kind": "yard", "capacity_t": "-1"}
    )
    assert response.status_code == 400
    assert "capacity_t" in error_of(response)["fields"]
    assert not Facility.objects.exists()


def test_a_duplicate_is_refused_as_bad_input_not_a_500(erp_x, enterprise_x):
    f.FacilityFactory(enterprise=enterprise_x, name="Yard 1")
    response = erp_x.post(
        "/api/v1/facilities/", {"enterprise": enterprise_x.pk, "name": "Yard 1", "kind": "yard", "capacity_t": "5"}
    )
    assert response.status_code in (400, 409)
    error_of(response)
    assert Facility.objects.count() == 1


def _handle(exc):
    request = APIRequestFactory().get("/api/v1/parks/")
    return exception_handler(exc, {"request": request, "view": None})


def test_a_transition_not_allowed_is_409():
    response = _handle(TransitionNotAllowed("Cannot sign a cancelled manifest.", fields={"status": ["cancelled"]}))
    assert response.status_code == 409
    assert response.data == {
        "error": {
            "code": "transition_not_allowed",
            "message": "Cannot sign a cancelled manifest.",
            "fields": {"status": ["cancelled"]},
        }
    }


def test_a_rule_violation_keeps_its_own_code():
    response = _handle(RuleViolation("Permit does not cover 900-249-08.", code="permit_not_covering"))
    assert response.status_code == 400
    assert response.data["error"]["code"] == "permit_not_covering"


def test_an_integrity_error_is_a_409_conflict_never_a_500():
    response = _handle(IntegrityError("duplicate key value violates unique constraint"))
    assert response.status_code == 409
    assert response.data["error"]["code"] == "conflict"


def test_an_unexpected_exception_is_a_logged_500_in_the_shape(caplog):
    response = _handle(ZeroDivisionError("boom"))
    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "boom" not in response.data["error"]["message"]
    assert any("Unexpected error" in record.message for record in caplog.records)


@pytest.mark.urls("tests.api.urls_boom")
def test_an_unexpected_exception_in_a_view_answers_500_in_the_shape(provincial_platform):
    response = Caller.get(provincial_platform, "/api/v1/boom/")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
