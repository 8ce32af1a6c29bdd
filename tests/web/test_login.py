"""Logging in and out, the brute-force lockout, navigation by role and the language switch."""

import re

import pytest
from django.urls import reverse

from tests import factories as f

PASSWORD = "correct-horse-battery"


def log_in(client, username, password=PASSWORD, address="10.1.1.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_user_logs_in_and_out(client, preparer_x):
    # A preparer signs in with the password alone; officers have a second step (tests/registry/test_second_factor.py).
    response = log_in(client, "preparer_x")
    assert response.status_code == 302
    assert client.get(reverse("registry:enterprise_list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("registry:enterprise_list")).status_code == 302


def test_a_wrong_password_shows_an_error_and_keeps_the_username(client, officer_a):
    response = log_in(client, "officer_a", "wrong")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'value="officer_a"' in response.content.decode()


def test_repeated_failures_lock_the_account_for_that_address(client, officer_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "officer_a", "guess")
    response = log_in(client, "officer_a")  # even the right password is refused now
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    # Another address is not locked out by someone else's guessing.
    assert log_in(client, "officer_a", address="10.2.2.2").status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, officer_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "officer_a", "guess")
    assert log_in(client, "officer_a").status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "officer_a", "guess")
    assert log_in(client, "officer_a").status_code == 302


def nav_labels(client):
    html = client.get(reverse("registry:enterprise_list")).content.decode()
    return re.findall(r'class="nav-link[^"]*"[^>]*href="([^"]+)"', html)


def test_navigation_follows_the_role(client, officer_a, preparer_x):
    client.force_login(officer_a)
    officer_links = nav_labels(client)
    assert reverse("registry:enterprise_list") in officer_links
    assert reverse("registry:enterprise_apply") not in officer_links
    client.force_login(preparer_x)
    assert reverse("registry:enterprise_apply") not in nav_labels(client)  # a rare task, off the daily menu
    enterprises = client.get(reverse("registry:enterprise_list")).content.decode()
    assert f'href="{reverse("registry:enterprise_apply")}"' in enterprises


def test_a_newcomer_is_offered_registration_only(client, catalogue):
    client.force_login(f.UserFactory(username="newcomer"))
    html = client.get(reverse("registry:enterprise_apply")).content.decode()
    links = re.findall(r'class="nav-link[^"]*"[^>]*href="([^"]+)"', html)
    assert links == [reverse("registry:enterprise_apply")]


def test_chinese_is_the_default_and_english_is_a_switch_away(client, officer_a, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(officer_a)
    page = client.get(reverse("registry:enterprise_list"))
    assert '<html lang="zh-hans">' in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("registry:enterprise_list"))
    assert '<html lang="en">' in page.content.decode()
    assert "Enterprises" in page.content.decode()


@pytest.mark.parametrize("language, word", [("zh-hans", "企业"), ("en", "Enterprises")])
def test_pages_are_translated(client, officer_a, language, word):
    client.force_login(officer_a)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert word in client.get(reverse("registry:enterprise_list")).content.decode()


@pytest.mark.parametrize(
    "persona, destination",
    [("officer_a", "reporting:dashboard"), ("provincial", "reporting:dashboard"),
     ("preparer_x", "transfers:manifest_list"), ("driver_c", "transfers:pickup_list")],
)  # fmt: skip
def test_the_home_page_leads_each_role_to_its_work(client, request, persona, destination):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse(destination)


def test_home_sends_someone_without_a_role_to_registration_and_anonymous_to_login(client, catalogue):
    assert "/accounts/login/" in client.get(reverse("home"))["Location"]
    client.force_login(f.UserFactory(username="newcomer"))
    assert client.get(reverse("home"))["Location"] == reverse("registry:enterprise_apply")


def test_a_user_name_longer_than_any_account_is_a_failed_login_that_counts(client, officer_a):
    from axes.models import AccessAttempt

    response = log_in(client, "x" * 300, "wrong")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert AccessAttempt.objects.get().username == "x" * 150


def test_one_address_spraying_many_user_names_is_stopped(client, officer_a, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for number in range(3):
        assert log_in(client, f"guess{number}", "wrong", address="10.9.9.9").status_code == 200
    refused = log_in(client, "officer_a", address="10.9.9.9")  # even the right password
    assert refused.status_code == 200
    assert "Too many failed sign-ins from this address" in refused.content.decode()
    assert log_in(client, "officer_a", address="10.1.1.2").status_code == 302  # another address is not held


def test_the_login_inputs_are_styled_and_bounded(client):
    page = client.get(reverse("login")).content.decode()
    assert 'class="form-control' in page
    assert 'maxlength="150"' in page
