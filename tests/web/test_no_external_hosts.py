"""Parks run on closed government networks: no page may reference another host.

Every page is fetched as the user it is for and must answer 200: a page that fails to render, or
redirects to the login, would pass the host check while checking nothing.
"""

import re

import pytest
from django.urls import reverse

from tests.fixtures.reports import last_period, make_report

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
ANY_URL = re.compile(r"https?://[^\s\"'<>]+")


def external_references(html: str) -> list[str]:
    found = EXTERNAL.findall(html)
    found += [url for url in ANY_URL.findall(html) if not url.startswith(("http://testserver", "http://www.w3.org"))]
    return found


def fetch(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def pages(enterprise_x, officer_a, park_a, hazardous_draft):
    """The main pages an officer of park A works with, a manifest from X via C to R among them."""
    return [
        reverse("login"),
        reverse("registry:enterprise_list"),
        reverse("reporting:enterprise_detail", args=[enterprise_x.pk]),
        reverse("registry:enterprise_apply"),
        reverse("transfers:manifest_list"),
        reverse("transfers:manifest_detail", args=[hazardous_draft.pk]),
        reverse("transfers:manifest_print", args=[hazardous_draft.pk]),
        reverse("transfers:manifest_new"),
        reverse("transfers:pickup_list"),
        reverse("transfers:ledger_list"),
        reverse("transfers:ledger_new"),
        reverse("transfers:stock_list"),
        reverse("reporting:dashboard"),
        reverse("reporting:warning_list"),
        reverse("reporting:inspection_list"),
        reverse("reporting:inspection_new"),
        reverse("reporting:recompute"),
        reverse("reporting:threshold_list"),
        reverse("reporting:threshold_park", args=[park_a.pk]),
    ]


def test_no_page_references_an_external_host(client, pages, officer_a, hazardous_draft):
    client.force_login(officer_a)
    for url in pages:
        assert external_references(fetch(client, url)) == [], url
    # The public verification page, at the address the printed copy's QR code carries.
    printed = client.get(reverse("transfers:manifest_print", args=[hazardous_draft.pk]))
    client.logout()
    assert external_references(fetch(client, printed.context["verify_url"])) == []


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
            assert external_references(fetch(client, url)) == [], url


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"], ids=["swagger-ui", "redoc"])
def test_the_api_docs_reference_no_external_host(client, url):
    # Public pages: an integrator reads them before holding a token.
    html = fetch(client, url)
    assert external_references(html) == []
    # They load their scripts from this server (drf-spectacular-sidecar), and the schema from /api/v1/.
    assert re.search(r"""<script[^>]+src=["']/static/""", html), url
    assert reverse("api:schema") in html


def test_the_admin_references_no_external_host(admin_client, enterprise_x):
    for url in [
        reverse("admin:index"),
        reverse("admin:registry_enterprise_changelist"),
        reverse("admin:registry_enterprise_change", args=[enterprise_x.pk]),
    ]:
        assert external_references(fetch(admin_client, url)) == [], url


def test_report_and_permit_pages_reference_no_external_host(client, enterprise_x, officer_a, preparer_x):
    report = make_report(enterprise=enterprise_x, period=last_period(), lines={"900-249-08": {"generated": "2.5"}})
    for user, urls in [
        (
            officer_a,
            [
                reverse("reporting:report_list"),
                reverse("reporting:report_detail", args=[report.pk]),
                reverse("registry:permit_list"),
                reverse("reporting:enterprise_detail", args=[enterprise_x.pk]),
            ],
        ),
        (preparer_x, [reverse("reporting:report_list"), reverse("reporting:report_detail", args=[report.pk])]),
    ]:
        client.force_login(user)
        for url in urls:
            assert external_references(fetch(client, url)) == [], url
