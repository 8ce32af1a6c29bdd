"""403, 404 and 500 pages come inside the site's layout, in the reader's language, with DEBUG off; the
API keeps answering in its JSON error shape."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from reporting.views import dashboard as dashboard_views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def in_chinese(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def translated(message: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def test_an_enterprise_clerk_opening_the_dashboard_gets_the_403_page_in_chinese_with_her_menu(client, preparer_x):
    client.force_login(preparer_x)
    response = in_chinese(client).get(reverse("reporting:dashboard"))
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'data-testid="error-page"' in html
    assert translated("Not allowed", "zh-hans") in html
    # The layout's menu: her own pages, the way on.
    assert reverse("transfers:manifest_list") in html
    # Why, in her language: the page's own refusal.
    assert translated("The dashboard is for park and provincial officers.", "zh-hans") in html
    assert "403 Forbidden" not in html


def test_a_missing_page_is_the_404_page_in_english_for_an_english_reader(client, officer_a):
    client.force_login(officer_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="en">' in html and "Page not found" in html
    assert reverse("reporting:dashboard") in html  # the officer's menu


def test_another_parks_enterprise_is_the_same_404_page(client, officer_b, enterprise_x):
    client.force_login(officer_b)
    response = in_chinese(client).get(reverse("reporting:enterprise_detail", args=[enterprise_x.pk]))
    assert response.status_code == 404
    assert 'data-testid="error-page"' in response.content.decode()


def test_a_signed_out_visitor_gets_the_404_page_with_the_login_link(client):
    response = in_chinese(client).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="error-page"' in html and reverse("login") in html


def test_an_unexpected_error_is_the_500_page_inside_the_layout(client, officer_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(dashboard_views.services, "build_dashboard", broken)
    client = Client(raise_request_exception=False)
    client.force_login(officer_a)
    response = in_chinese(client).get(reverse("reporting:dashboard"))
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html and 'data-testid="error-page"' in html
    assert translated("Something went wrong", "zh-hans") in html
    assert "a bug" not in html and "Traceback" not in html


def test_the_500_page_is_drawn_without_the_request_when_the_menu_itself_fails(client, officer_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(dashboard_views.services, "build_dashboard", broken)
    monkeypatch.setattr("wasteparks.navigation.audiences_of", broken)
    client = Client(raise_request_exception=False)
    client.force_login(officer_a)
    response = client.get(reverse("reporting:dashboard"))
    assert response.status_code == 500
    assert 'data-testid="error-page"' in response.content.decode()


def test_the_api_keeps_its_json_errors(client):
    response = client.get("/api/no-such-version/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
