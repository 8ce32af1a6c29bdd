"""Parks run on closed government networks: no page may reference another host."""

import re

import pytest
from django.urls import reverse

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
ANY_URL = re.compile(r"https?://[^\s\"'<>]+")


def external_references(html: str) -> list[str]:
    found = EXTERNAL.findall(html)
    found += [url for url in ANY_URL.findall(html) if not url.startswith(("http://testserver", "http://www.w3.org"))]
    return found


@pytest.fixture
def pages(enterprise_x, officer_a, park_a):
    return [
        reverse("login"),
        reverse("registry:enterprise_list"),
        reverse("registry:enterprise_detail", args=[enterprise_x.pk]),
        reverse("registry:enterprise_apply"),
    ]


def test_no_page_references_an_external_host(client, pages, officer_a):
    client.force_login(officer_a)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert external_references(response.content.decode()) == [], url


def test_the_admin_and_api_docs_reference_no_external_host(admin_client):
    for url in ["/admin/", "/admin/registry/enterprise/"]:
        assert external_references(admin_client.get(url).content.decode()) == [], url
