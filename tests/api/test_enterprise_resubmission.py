"""Resubmitting a rejected registration through the API: the enterprise's own software or administrator."""

import pytest

from registry import services
from registry.models import Enterprise, EnterpriseStatus
from tests.api.conftest import error_of, session_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected_x(enterprise_x, officer_a):
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status=EnterpriseStatus.PENDING)
    return services.reject_enterprise(enterprise=enterprise_x, officer=officer_a, reason="营业执照与信用代码不符")


def url(enterprise) -> str:
    return f"/api/v1/enterprises/{enterprise.pk}/resubmit/"


def test_the_enterprises_software_resubmits_a_rejected_registration(erp_x, rejected_x):
    response = erp_x.post(url(rejected_x), {"note": "已补充营业执照"}, HTTP_IDEMPOTENCY_KEY="resubmit-1")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == EnterpriseStatus.PENDING
    rejected_x.refresh_from_db()
    assert rejected_x.status == EnterpriseStatus.PENDING and rejected_x.status_reason == "已补充营业执照"
    # A retry with the same key answers the same and changes nothing.
    again = erp_x.post(url(rejected_x), {"note": "已补充营业执照"}, HTTP_IDEMPOTENCY_KEY="resubmit-1")
    assert again.status_code == 200
    assert rejected_x.history.filter(status=EnterpriseStatus.PENDING).count() == 1


def test_the_administrators_session_resubmits(admin_x, rejected_x):
    response = session_of(admin_x, csrf=False).post(url(rejected_x), {})
    assert response.status_code == 200


def test_only_a_rejected_registration_is_resubmitted(erp_x, enterprise_x):
    response = erp_x.post(url(enterprise_x), {})
    assert response.status_code == 409
    assert error_of(response)["code"] == "transition_not_allowed"


def test_another_enterprise_gets_404_and_staff_403(erp_y, preparer_x, rejected_x):
    assert erp_y.post(url(rejected_x), {}).status_code == 404
    response = session_of(preparer_x, csrf=False).post(url(rejected_x), {})
    assert response.status_code == 403 and error_of(response)["code"] == "not_permitted"
    rejected_x.refresh_from_db()
    assert rejected_x.status == EnterpriseStatus.REJECTED


def test_bad_input_is_a_400_and_changes_nothing(erp_x, rejected_x):
    response = erp_x.post(url(rejected_x), {"note": "x" * 2001})
    assert response.status_code == 400 and "note" in error_of(response)["fields"]
    rejected_x.refresh_from_db()
    assert rejected_x.status == EnterpriseStatus.REJECTED


def test_enterprises_are_not_created_through_the_api(erp_x):
    assert erp_x.post("/api/v1/enterprises/", {"name": "x"}).status_code == 405
