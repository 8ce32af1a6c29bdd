"""Parks run on closed government networks: no page may reference another host."""

import re

import pytest
from django.urls import reverse

# A manifest from X via C to R, to render the transfer pages with real content.
from tests.transfers.conftest import hazardous_draft, parties, r_store, road_permit, x_store  # noqa: F401

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
ANY_URL = re.compile(r"https?://[^\s\"'<>]+")


def external_references(html: str) -> list[str]:
    found = EXTERNAL.findall(html)
    found += [url for url in ANY_URL.findall(html) if not url.startswith(("http://testserver", "http://www.w3.org"))]
    return found


@pytest.fixture
def pages(enterprise_x, officer_a, park_a, hazardous_draft):  # noqa: F811 (fixture imported above)
    from transfers.views import verification_token

    return [
        reverse("login"),
        reverse("registry:enterprise_list"),
        reverse("registry:enterprise_detail", args=[enterprise_x.pk]),
        reverse("registry:enterprise_apply"),
        reverse("transfers:manifest_list"),
        reverse("transfers:manifest_detail", args=[hazardous_draft.pk]),
        reverse("transfers:manifest_print", args=[hazardous_draft.pk]),
        reverse("transfers:manifest_new"),
        reverse("transfers:pickup_list"),
        reverse("transfers:ledger_list"),
        reverse("transfers:ledger_new"),
        reverse("transfers:stock_list"),
        reverse("transfers:verify", args=[verification_token(hazardous_draft)]),
        reverse("reporting:dashboard"),
        reverse("reporting:warning_list"),
        reverse("reporting:inspection_list"),
        reverse("reporting:inspection_new"),
        reverse("reporting:recompute"),
    ]


def test_no_page_references_an_external_host(client, pages, officer_a):
    client.force_login(officer_a)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert external_references(response.content.decode()) == [], url


@pytest.fixture
def reporting_detail_pages(officer_a, enterprise_x, park_a, provincial):
    from datetime import date

    from reporting.services.inspections import record_inspection
    from tests.reporting.views_seed import many_warnings

    [warning] = many_warnings(park=park_a, enterprise=enterprise_x, count=1)
    inspection = record_inspection(
        actor=officer_a, enterprise=enterprise_x, date=date.today(), kind="site_visit", findings="Checked."
    )
    return [
        reverse("reporting:warning_detail", args=[warning.pk]),
        reverse("reporting:inspection_detail", args=[inspection.pk]),
        reverse("reporting:inspection_new") + f"?warning={warning.pk}",
    ]


def test_no_reporting_detail_page_references_an_external_host(client, reporting_detail_pages, officer_a, provincial):
    for user in (officer_a, provincial):
        client.force_login(user)
        for url in [*reporting_detail_pages, reverse("reporting:dashboard")]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert external_references(response.content.decode()) == [], url


def test_the_admin_and_api_docs_reference_no_external_host(admin_client):
    for url in ["/admin/", "/admin/registry/enterprise/"]:
        assert external_references(admin_client.get(url).content.decode()) == [], url


def test_report_and_permit_pages_reference_no_external_host(client, enterprise_x, officer_a, preparer_x):
    from tests.reporting.conftest_reports import last_period, make_report

    report = make_report(enterprise=enterprise_x, period=last_period(), lines={"900-249-08": {"generated": "2.5"}})
    for user, urls in [
        (
            officer_a,
            [
                reverse("reporting:report_list"),
                reverse("reporting:report_detail", args=[report.pk]),
                reverse("registry:permit_list"),
                reverse("registry:enterprise_detail", args=[enterprise_x.pk]),
            ],
        ),
        (preparer_x, [reverse("reporting:report_list"), reverse("reporting:report_detail", args=[report.pk])]),
    ]:
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert external_references(response.content.decode()) == [], url
