"""Only a verified, active enterprise writes: a pending registration prepares its profile and facilities,
and records no waste, prepares no manifest and files no report until the park's officers verify it."""

import pytest
from django.test import Client

from registry.clients import create_api_client
from registry.models import ApiScope, Enterprise, EnterpriseStatus
from reporting.services.reports import create_monthly_report
from tests.security.test_bad_input import table_counts
from tests.transfers.factories import draft, generate
from wasteparks.errors import NotPermitted
from wasteparks.periods import Period

pytestmark = pytest.mark.django_db


def set_status(enterprise, status):
    Enterprise.objects.filter(pk=enterprise.pk).update(status=status)
    enterprise.refresh_from_db()


@pytest.mark.parametrize("status", [EnterpriseStatus.PENDING, EnterpriseStatus.REJECTED, EnterpriseStatus.SUSPENDED])
def test_an_enterprise_not_active_records_no_waste(preparer_x, enterprise_x, x_store, status):
    set_status(enterprise_x, status)
    before = table_counts()
    with pytest.raises(NotPermitted) as refused:
        generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="5")
    assert refused.value.code == "enterprise_not_active"
    assert table_counts() == before


def test_a_pending_registration_prepares_no_manifest_naming_the_parks_carrier_and_receiver(
    preparer_x, enterprise_x, carrier_c, receiver_r, x_store
):
    set_status(enterprise_x, EnterpriseStatus.PENDING)
    before = table_counts()
    with pytest.raises(NotPermitted):
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    assert table_counts() == before


def test_a_suspended_enterprise_files_no_report(preparer_x, enterprise_x):
    set_status(enterprise_x, EnterpriseStatus.SUSPENDED)
    last = Period.containing().previous()
    with pytest.raises(NotPermitted):
        create_monthly_report(actor=preparer_x, enterprise=enterprise_x, year=last.year, month=last.month)


def test_the_ledger_api_answers_403_in_the_error_shape_for_a_pending_enterprise(enterprise_x, x_store):
    _, token = create_api_client(name="企业X接口", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    erp_x = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    set_status(enterprise_x, EnterpriseStatus.PENDING)
    before = table_counts()
    response = erp_x.post(
        "/api/v1/ledger-entries/",
        {
            "enterprise": enterprise_x.pk,
            "facility": x_store.pk,
            "waste_code": "900-249-08",
            "stage": "generated",
            "quantity_t": "5",
            "occurred_at": "2026-01-05T09:00:00+08:00",
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "enterprise_not_active"
    assert table_counts() == before
