"""Self-service sign-up of a new enterprise's first administrator, confirmed by e-mail, leading into
the enterprise's registration; and a forgotten password reset from the login page."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from registry.models import EnterpriseMembership, EnterpriseRole, User
from tests import factories as f
from tests.registry.test_views import application

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "zhang_admin",
    "email": "Zhang@Factory.cn",
    "full_name": "张经理",
    "phone": "0856-1234567",
    "password1": "Waste-Park-2026",
    "password2": "Waste-Park-2026",
}


def _sign_up(client, capture, **changes):
    with capture(execute=True):
        return client.post(reverse("sign_up"), {**GOOD, **changes})


def test_a_newcomer_signs_up_confirms_the_address_and_registers_the_enterprise(
    client, park_a, django_capture_on_commit_callbacks
):
    response = _sign_up(client, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    user = User.objects.get(username="zhang_admin")
    assert not user.is_active and user.email == "zhang@factory.cn"
    assert mail.outbox[-1].to == ["zhang@factory.cn"]
    # Not yet confirmed: the password alone does not sign in.
    refused = client.post(reverse("login"), {"username": "zhang_admin", "password": "Waste-Park-2026"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session

    link = re.search(r"http://testserver(/accounts/signup/verify/\S+/)", mail.outbox[-1].body).group(1)
    confirmed = client.get(link)
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse("registry:enterprise_apply")
    user.refresh_from_db()
    assert user.is_active

    # The link is spent once the account has signed in.
    client.logout()
    assert client.get(link).status_code == 400

    # The registration flow makes the applicant its first administrator.
    client.force_login(user)
    registered = client.post(reverse("registry:enterprise_apply"), application(park_a, credit_code=f.credit_code(777)))
    assert registered.status_code == 302
    assert EnterpriseMembership.objects.get(user=user).role == EnterpriseRole.ADMIN


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"password1": "short1A", "password2": "short1A"}, "password2"),
        ({"password1": "onlylowercaseletters", "password2": "onlylowercaseletters"}, "password2"),
        ({"password2": "Something-Else-99"}, "password2"),
        ({"email": "not-an-address"}, "email"),
        ({"username": ""}, "username"),
    ],
)
def test_bad_sign_ups_are_refused_and_write_nothing(
    client, catalogue, changes, field, django_capture_on_commit_callbacks
):
    response = _sign_up(client, django_capture_on_commit_callbacks, **changes)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not User.objects.filter(username=GOOD["username"]).exists()
    assert mail.outbox == []


def test_an_address_already_in_use_is_refused(client, preparer_x, django_capture_on_commit_callbacks):
    response = _sign_up(client, django_capture_on_commit_callbacks, email=preparer_x.email.upper())
    assert response.status_code == 400 and "email" in response.context["form"].errors


def test_a_forged_confirmation_link_is_refused(client, catalogue):
    assert client.get(reverse("sign_up_verify", args=["MQ", "forged-token"])).status_code == 400
    assert client.get(reverse("sign_up_verify", args=["!!", "x"])).status_code == 400


def test_the_login_page_offers_password_reset_and_sign_up(client, catalogue):
    body = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in body and reverse("sign_up") in body


def test_a_forgotten_password_is_reset_by_mail(client, preparer_x):
    response = client.post(reverse("password_reset"), {"email": preparer_x.email})
    assert response.status_code == 302
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200 and weak.context["form"].errors
    done = client.post(set_url, {"new_password1": "New-Secret-2026", "new_password2": "New-Secret-2026"})
    assert done.status_code == 302
    preparer_x.refresh_from_db()
    assert preparer_x.check_password("New-Secret-2026")
