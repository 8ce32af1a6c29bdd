"""Every page carries the security headers; pages run no script from anywhere but this host."""

from django.urls import reverse


def test_pages_carry_a_strict_content_security_policy(client, officer_a):
    client.force_login(officer_a)
    response = client.get(reverse("registry:enterprise_list"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline' ;" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_login_page_and_api_answers_carry_it_too(client, db):
    assert "default-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]
    assert "default-src 'self'" in client.get("/api/v1/parks/")["Content-Security-Policy"]


def test_only_the_api_documentation_may_run_its_inline_starter(client, db):
    assert "'unsafe-inline'" in client.get("/api/v1/docs/")["Content-Security-Policy"].split("script-src")[1]


def test_session_cookies_are_http_only_and_expire_within_a_working_day(settings):
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
