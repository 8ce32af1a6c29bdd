"""Warning and inspection, both ways: the warning page shows the inspections that followed it up and
their rectification; the enterprise page lists inspections and offers "record an inspection" to its
park's officers; officers record inspections and rectifications through the API too."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry.clients import create_api_client
from reporting.models import Inspection, Warning
from reporting.services.inspections import mark_inspection_rectified, record_inspection
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def warning(park_a, enterprise_x):
    return Warning.objects.create(
        rule="STORAGE_OVER_LIMIT", severity="warning", park=park_a, enterprise=enterprise_x,
        message_zh="贮存超期", message_en="Stored too long", dedup_key="follow-up:x", raised_at=timezone.now(),
    )  # fmt: skip


def session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_warning_page_shows_its_inspection_and_its_rectification(officer_a, preparer_x, enterprise_x, warning):
    page = signed_in(officer_a).get(reverse("reporting:warning_detail", args=[warning.pk])).content.decode()
    assert "No inspection has followed this warning up yet." in page
    inspection = record_inspection(
        actor=officer_a, enterprise=enterprise_x, date=timezone.localdate(), kind="site_visit",
        findings="贮存库标识缺失", required_rectification="补齐标识", rectification_deadline=timezone.localdate(),
        warnings=[warning],
    )  # fmt: skip
    page = signed_in(officer_a).get(reverse("reporting:warning_detail", args=[warning.pk])).content.decode()
    assert "贮存库标识缺失" in page and 'data-state="open"' in page
    assert reverse("reporting:inspection_detail", args=[inspection.pk]) in page

    mark_inspection_rectified(inspection=inspection, actor=officer_a, note="已整改")
    page = signed_in(officer_a).get(reverse("reporting:warning_detail", args=[warning.pk])).content.decode()
    assert 'data-state="rectified"' in page
    # The enterprise sees the follow-up too, without links to the officers' working pages.
    page = signed_in(preparer_x).get(reverse("reporting:warning_detail", args=[warning.pk])).content.decode()
    assert "贮存库标识缺失" in page and 'data-state="rectified"' in page
    assert reverse("reporting:inspection_detail", args=[inspection.pk]) not in page


def test_the_enterprise_page_lists_inspections_and_offers_to_record_one_to_its_officers(
    officer_a, officer_b, preparer_x, enterprise_x
):
    record_inspection(
        actor=officer_a, enterprise=enterprise_x, date=timezone.localdate() - timedelta(days=3), kind="desk_check",
        findings="台账不全", required_rectification="补录台账",
        rectification_deadline=timezone.localdate() - timedelta(days=1),
    )  # fmt: skip
    url = reverse("reporting:enterprise_detail", args=[enterprise_x.pk])
    page = signed_in(officer_a).get(url).content.decode()
    assert 'data-testid="enterprise-record-inspection"' in page
    assert f"{reverse('reporting:inspection_new')}?enterprise={enterprise_x.pk}" in page
    assert "台账不全" in page and 'data-state="overdue"' in page
    page = signed_in(preparer_x).get(url).content.decode()
    assert 'data-testid="enterprise-record-inspection"' not in page and "台账不全" in page
    assert signed_in(officer_b).get(url).status_code == 404


def test_an_officer_records_an_inspection_and_its_rectification_through_the_api(officer_a, enterprise_x, warning):
    response = session(officer_a).post(
        "/api/v1/inspections/",
        {"enterprise": enterprise_x.pk, "date": str(timezone.localdate()), "kind": "site_visit",
         "findings": "危废贮存超一年", "required_rectification": "尽快转移",
         "rectification_deadline": str(timezone.localdate() + timedelta(days=30)), "warnings": [warning.pk]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["warnings"] == [warning.pk] and body["park"] == enterprise_x.park_id

    done = session(officer_a).post(f"/api/v1/inspections/{body['id']}/rectified/", {"note": "已转移"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "rectified"
    again = session(officer_a).post(f"/api/v1/inspections/{body['id']}/rectified/", {}, format="json")
    assert again.status_code == 409


def test_the_api_refuses_others_and_bad_input_and_writes_nothing(officer_a, officer_b, enterprise_x, warning):
    valid = {"enterprise": enterprise_x.pk, "date": str(timezone.localdate()), "kind": "site_visit", "findings": "x"}
    # Another park's officer: the enterprise does not exist for it.
    response = session(officer_b).post("/api/v1/inspections/", valid, format="json")
    assert response.status_code == 400 and "enterprise" in error_of(response)["fields"]
    # The enterprise's own software reads its inspections but does not record them.
    _, token = create_api_client(name="X ERP", scope="enterprise", enterprise=enterprise_x)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post("/api/v1/inspections/", valid, format="json").status_code == 403
    future = {**valid, "date": str(timezone.localdate() + timedelta(days=2))}
    assert session(officer_a).post("/api/v1/inspections/", future, format="json").status_code == 400
    early = {
        **valid,
        "required_rectification": "y",
        "rectification_deadline": str(timezone.localdate() - timedelta(days=1)),
    }
    response = session(officer_a).post("/api/v1/inspections/", early, format="json")
    assert response.status_code == 400 and error_of(response)["code"] == "deadline_before_inspection"
    assert session(officer_a).post("/api/v1/inspections/", {**valid, "kind": "raid"}, format="json").status_code == 400
    assert not Inspection.objects.exists()
    inspection = record_inspection(
        actor=officer_a, enterprise=enterprise_x, date=timezone.localdate(), kind="site_visit", findings="y"
    )
    assert (
        session(officer_b).post(f"/api/v1/inspections/{inspection.pk}/rectified/", {}, format="json").status_code == 404
    )
    inspection.refresh_from_db()
    assert inspection.status == "open"
