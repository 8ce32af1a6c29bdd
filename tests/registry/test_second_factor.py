"""Two-factor sign-in (GB/T 22239-2019 level 3): required for officers and administrators, open to all."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.signin import OPEN_PREFIXES, second_factor_required
from tests import factories as f
from wasteparks.models import LoginEvent, LoginStep

pytestmark = pytest.mark.django_db


def _pages_without_arguments(resolver=None, prefix: str = "") -> list[str]:
    """Every page of the site whose address takes no argument."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _pages_without_arguments(pattern, route)
        elif isinstance(pattern, URLPattern) and "<" not in route and "(" not in route and "^" not in route:
            found.append("/" + route)
    return found


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.mark.password_only
def test_officer_without_second_factor_cannot_reach_any_officer_page(client, officer_a):
    client.force_login(officer_a)
    pages = [page for page in _pages_without_arguments() if not page.startswith(OPEN_PREFIXES)]
    assert "/reporting/dashboard/" in pages or any(p.startswith("/reporting/") for p in pages)
    assert len(pages) > 10
    for page in pages:
        response = client.get(page)
        if page.startswith("/api/"):
            assert response.status_code == 403, page
            assert response.json()["error"]["code"] == "second_factor_required", page
        else:
            assert response.status_code == 302, page
            assert response["Location"].startswith(reverse("second_factor") + "?next="), page


@pytest.mark.password_only
def test_officer_sets_up_an_authenticator_then_reaches_the_dashboard(client, officer_a):
    client.force_login(officer_a)
    page = client.get(reverse("second_factor"))
    assert page.status_code == 200
    assert "totp-secret" in page.content.decode()
    device = TOTPDevice.objects.get(user=officer_a, confirmed=False)

    refused = client.post(reverse("second_factor"), {"token": "000000" if _code(device) != "000000" else "111111"})
    assert refused.status_code == 400
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0  # the wrong code above slows the next try down; not what this tests
    device.throttling_failure_timestamp = None
    device.save()

    done = client.post(reverse("second_factor") + "?next=/reporting/", {"token": _code(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=officer_a).count() == 10
    assert client.get(reverse("reporting:dashboard")).status_code == 200
    assert LoginEvent.objects.filter(user=officer_a, step=LoginStep.SECOND_FACTOR, succeeded=True).count() == 1


@pytest.mark.password_only
def test_signing_in_through_the_form_asks_an_enrolled_user_for_the_code(client, officer_a):
    officer_a.set_password("Str0ng-enough-pass")
    officer_a.save()
    device = _enrolled(officer_a)
    response = client.post(reverse("login"), {"username": "officer_a", "password": "Str0ng-enough-pass"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("second_factor"))
    assert "token" in response.context["form"].fields

    wrong = client.post(reverse("second_factor"), {"token": "12345"})
    assert wrong.status_code == 400
    assert client.get(reverse("reporting:dashboard")).status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()

    right = client.post(reverse("second_factor") + "?next=/reporting/dashboard/", {"token": _code(device)})
    assert right.status_code == 302 and right["Location"] == "/reporting/dashboard/"
    assert client.get(reverse("reporting:dashboard")).status_code == 200
    steps = list(LoginEvent.objects.filter(user=officer_a).order_by("at", "id").values_list("step", "succeeded"))
    assert steps == [
        (LoginStep.PASSWORD, True),
        (LoginStep.SECOND_FACTOR, False),
        (LoginStep.SECOND_FACTOR, True),
    ]


@pytest.mark.password_only
def test_a_recovery_code_signs_in_once(client, admin_x):
    _enrolled(admin_x)
    client.force_login(admin_x)
    from registry.signin import _new_recovery_codes

    codes = _new_recovery_codes(admin_x)
    assert client.post(reverse("second_factor"), {"token": codes[0]}).status_code == 302
    assert client.get(reverse("transfers:manifest_list")).status_code == 200

    client.logout()
    client.force_login(admin_x)
    assert client.post(reverse("second_factor"), {"token": codes[0]}).status_code == 400
    assert client.get(reverse("transfers:manifest_list")).status_code == 302
    assert StaticToken.objects.filter(device__user=admin_x).count() == 9


@pytest.mark.password_only
def test_a_preparer_needs_no_second_factor_but_once_on_it_is_asked_for(client, preparer_x):
    assert not second_factor_required(preparer_x)
    client.force_login(preparer_x)
    assert client.get(reverse("transfers:manifest_list")).status_code == 200

    _enrolled(preparer_x)
    client.logout()
    client.force_login(preparer_x)
    response = client.get(reverse("transfers:manifest_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor"))


def test_a_preparer_may_turn_the_second_factor_off_but_an_officer_may_not(client, preparer_x, officer_a):
    _enrolled(preparer_x)
    client.force_login(preparer_x)
    assert client.post(reverse("second_factor_remove")).status_code == 302
    assert not TOTPDevice.objects.filter(user=preparer_x).exists()

    _enrolled(officer_a)
    client.force_login(officer_a)
    client.post(reverse("second_factor_remove"))
    assert TOTPDevice.objects.filter(user=officer_a).exists()


def test_who_must_use_a_second_factor(officer_a, provincial, admin_x, preparer_x, driver_c, viewer_x):
    staff = f.UserFactory(username="sysadmin", is_staff=True)
    assert [second_factor_required(user) for user in (officer_a, provincial, admin_x, staff)] == [True] * 4
    assert [second_factor_required(user) for user in (preparer_x, driver_c, viewer_x)] == [False] * 3


def test_new_recovery_codes_replace_the_old_ones(client, officer_a):
    _enrolled(officer_a)
    client.force_login(officer_a)
    first = client.post(reverse("second_factor_recovery_codes")).context["codes"]
    second = client.post(reverse("second_factor_recovery_codes")).context["codes"]
    assert set(first).isdisjoint(second)
    assert set(StaticToken.objects.filter(device__user=officer_a).values_list("token", flat=True)) == set(second)
