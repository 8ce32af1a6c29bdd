"""Inspections: officers record them (from a warning, pre-linked), follow them to rectification, and
list and export them; overdue is derived from the deadline."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting.models import Inspection, InspectionStatus, Warning
from reporting.services import inspections as services
from tests.reporting.views_seed import many_warnings, overdue_manifest
from wasteparks.errors import RuleViolation

LIST = reverse("reporting:inspection_list")
NEW = reverse("reporting:inspection_new")


def today():
    return timezone.localdate()


@pytest.fixture
def inspection(officer_a, enterprise_x):
    return services.record_inspection(
        actor=officer_a,
        enterprise=enterprise_x,
        date=today() - timedelta(days=10),
        kind="site_visit",
        findings="Drums stored outside the bunded area.",
        required_rectification="Move the drums inside.",
        rectification_deadline=today() - timedelta(days=1),
    )


def test_an_officer_records_an_inspection_from_a_warning(client, officer_a, enterprise_x, hazardous_draft, advance):
    manifest = overdue_manifest(hazardous_draft, advance)
    warning = Warning.objects.get(manifest=manifest)
    client.force_login(officer_a)
    page = client.get(NEW, {"warning": warning.pk})
    assert page.status_code == 200
    assert page.context["form"].initial["warnings"] == [warning.pk]
    assert page.context["form"].initial["enterprise"] == enterprise_x.pk
    response = client.post(
        NEW + f"?warning={warning.pk}",
        {
            "enterprise": enterprise_x.pk,
            "date": today().isoformat(),
            "kind": "desk_check",
            "findings": "The carrier's GPS shows the load parked.",
            "required_rectification": "Deliver and confirm.",
            "rectification_deadline": (today() + timedelta(days=3)).isoformat(),
            "warnings": [warning.pk],
        },
    )
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.park, inspection.officer, list(inspection.warnings.all())) == (
        enterprise_x.park,
        officer_a,
        [warning],
    )


def test_a_future_inspection_is_refused(client, officer_a, enterprise_x):
    client.force_login(officer_a)
    response = client.post(
        NEW,
        {
            "enterprise": enterprise_x.pk,
            "date": (today() + timedelta(days=1)).isoformat(),
            "kind": "site_visit",
            "findings": "x",
        },
    )
    assert response.status_code == 400
    assert not Inspection.objects.exists()


def test_an_officer_cannot_record_at_another_park(client, officer_b, enterprise_x):
    client.force_login(officer_b)
    response = client.post(
        NEW, {"enterprise": enterprise_x.pk, "date": today().isoformat(), "kind": "site_visit", "findings": "x"}
    )
    assert response.status_code == 400
    assert not Inspection.objects.exists()


def test_a_warning_of_another_enterprise_cannot_be_linked(officer_a, enterprise_x, park_a, receiver_r):
    [other] = many_warnings(park=park_a, enterprise=receiver_r, count=1)
    with pytest.raises(RuleViolation):
        services.record_inspection(
            actor=officer_a, enterprise=enterprise_x, date=today(), kind="site_visit", findings="x", warnings=[other]
        )


def test_an_open_inspection_past_its_deadline_is_overdue(client, officer_a, inspection):
    client.force_login(officer_a)
    response = client.get(reverse("reporting:inspection_detail", args=[inspection.pk]))
    assert response.status_code == 200
    assert response.context["inspection"].state == "overdue"
    assert [i.pk for i in client.get(LIST, {"state": "overdue"}).context["page"]] == [inspection.pk]
    assert list(client.get(LIST, {"state": "rectified"}).context["page"]) == []


def test_an_officer_records_the_rectification(client, officer_a, inspection):
    client.force_login(officer_a)
    url = reverse("reporting:inspection_rectified", args=[inspection.pk])
    assert client.post(url, {"note": "Drums moved."}).status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.RECTIFIED and inspection.rectified_by == officer_a
    assert client.post(url, {"note": "Again"}).status_code == 409


def test_an_officer_of_another_park_gets_404(client, officer_b, inspection):
    client.force_login(officer_b)
    assert client.get(reverse("reporting:inspection_detail", args=[inspection.pk])).status_code == 404
    assert client.post(reverse("reporting:inspection_rectified", args=[inspection.pk])).status_code == 404


def test_enterprise_users_cannot_see_or_act(client, preparer_x, inspection):
    client.force_login(preparer_x)
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.post(reverse("reporting:inspection_rectified", args=[inspection.pk])).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, inspection):
    for url in (LIST, NEW, reverse("reporting:inspection_detail", args=[inspection.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_export_defuses_formulas(client, officer_a, enterprise_x):
    services.record_inspection(
        actor=officer_a, enterprise=enterprise_x, date=today(), kind="site_visit", findings="=1+2"
    )
    client.force_login(officer_a)
    response = client.get(LIST, {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][5] == "'=1+2"
    assert client.get(LIST, {"export": "xlsx"}).status_code == 200


def _record(officer, enterprise, count):
    for index in range(count):
        services.record_inspection(
            actor=officer, enterprise=enterprise, date=today(), kind="site_visit", findings=f"Finding {index}"
        )


@pytest.mark.parametrize("export", ["", "csv"])
def test_the_list_costs_the_same_for_5_and_50_inspections(
    client, django_assert_max_num_queries, officer_a, enterprise_x, export
):
    client.force_login(officer_a)
    params = {"export": export} if export else {}
    _record(officer_a, enterprise_x, 5)
    with django_assert_max_num_queries(12) as small:
        client.get(LIST, params)
    _record(officer_a, enterprise_x, 45)
    with django_assert_max_num_queries(12) as large:
        client.get(LIST, params)
    assert len(small) == len(large)
