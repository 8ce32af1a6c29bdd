"""An enterprise's administrator invites staff by e-mail to a role, withdraws invitations, removes members."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from registry import accounts
from registry.models import EnterpriseMembership, EnterpriseRole, Invitation, User
from tests import factories as f

pytestmark = pytest.mark.django_db


def _invite(client, enterprise, capture, **data):
    with capture(execute=True):
        return client.post(
            reverse("registry:member_list", args=[enterprise.pk]),
            {"email": "driver@example.cn", "role": "driver", "days": "7", **data},
        )


def _link_token() -> str:
    return re.search(r"/accounts/invitations/([\w-]+)/", mail.outbox[-1].body).group(1)


def test_admin_invites_a_driver_who_creates_an_account_and_joins(
    client, admin_x, enterprise_x, django_capture_on_commit_callbacks
):
    client.force_login(admin_x)
    response = _invite(client, enterprise_x, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    invitation = Invitation.objects.get(enterprise=enterprise_x)
    assert invitation.role == "driver" and invitation.invited_by == admin_x
    assert mail.outbox[-1].to == ["driver@example.cn"]
    token = _link_token()
    assert invitation.token_hash != token  # only the digest is kept

    client.logout()
    page = client.get(reverse("invitation_accept", args=[token]))
    assert page.status_code == 200 and enterprise_x.name in page.content.decode()
    joined = client.post(
        reverse("invitation_accept", args=[token]),
        {
            "username": "driver_new",
            "full_name": "王师傅",
            "password1": "Truck-Driver-2026",
            "password2": "Truck-Driver-2026",
        },
    )
    assert joined.status_code == 302
    driver = User.objects.get(username="driver_new")
    assert driver.email == "driver@example.cn" and driver.is_active
    assert EnterpriseMembership.objects.get(user=driver).role == EnterpriseRole.DRIVER
    invitation.refresh_from_db()
    assert invitation.accepted_by == driver

    # The link works once.
    again = client.post(reverse("invitation_accept", args=[token]))
    assert again.status_code == 409
    assert EnterpriseMembership.objects.filter(enterprise=enterprise_x).count() == 2


def test_a_signed_in_person_accepts_with_one_click(client, admin_x, preparer_y, enterprise_x):
    invitation, token = accounts.invite_member(
        enterprise=enterprise_x, actor=admin_x, email=preparer_y.email, role="viewer", days=3, site_url="http://x"
    )
    client.force_login(preparer_y)
    assert client.post(reverse("invitation_accept", args=[token])).status_code == 302
    assert EnterpriseMembership.objects.get(user=preparer_y, enterprise=enterprise_x).role == "viewer"


def test_an_invitation_for_a_role_that_does_not_exist_is_refused(
    client, admin_x, enterprise_x, django_capture_on_commit_callbacks
):
    client.force_login(admin_x)
    response = _invite(client, enterprise_x, django_capture_on_commit_callbacks, role="owner")
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    assert not Invitation.objects.exists() and mail.outbox == []
    with pytest.raises(accounts.RuleViolation) as refused:
        accounts.invite_member(
            enterprise=enterprise_x, actor=admin_x, email="a@b.cn", role="owner", days=3, site_url=""
        )
    assert refused.value.code == "unknown_role"


@pytest.mark.parametrize("days", ["0", "31", "x", ""])
def test_an_invitation_valid_for_an_impossible_time_is_refused(
    client, admin_x, enterprise_x, days, django_capture_on_commit_callbacks
):
    client.force_login(admin_x)
    assert _invite(client, enterprise_x, django_capture_on_commit_callbacks, days=days).status_code == 400
    assert not Invitation.objects.exists()


def test_an_expired_link_is_refused_clearly(client, admin_x, enterprise_x):
    invitation, token = accounts.invite_member(
        enterprise=enterprise_x, actor=admin_x, email="late@example.cn", role="driver", days=1, site_url=""
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() - timedelta(days=2)
    )
    page = client.get(reverse("invitation_accept", args=[token]))
    assert page.status_code == 409
    assert "expired" in page.context["problem"]
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {"username": "late", "password1": "Truck-Driver-2026", "password2": "Truck-Driver-2026"},
    )
    assert response.status_code == 409
    assert not User.objects.filter(username="late").exists()


def test_an_unknown_link_is_a_404(client):
    response = client.get(reverse("invitation_accept", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_weak_password_is_refused_and_nothing_is_written(client, admin_x, enterprise_x):
    _invitation, token = accounts.invite_member(
        enterprise=enterprise_x, actor=admin_x, email="weak@example.cn", role="driver", days=2, site_url=""
    )
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {"username": "weak", "password1": "alllowercase", "password2": "alllowercase"},
    )
    assert response.status_code == 400
    assert "password2" in response.context["form"].errors
    assert not User.objects.filter(username="weak").exists()


def test_a_new_invitation_to_the_same_address_replaces_the_open_one(admin_x, enterprise_x):
    first, _ = accounts.invite_member(
        enterprise=enterprise_x, actor=admin_x, email="d@x.cn", role="driver", days=2, site_url=""
    )
    accounts.invite_member(enterprise=enterprise_x, actor=admin_x, email="D@x.cn", role="viewer", days=2, site_url="")
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert Invitation.objects.pending().get().role == "viewer"


def test_admin_withdraws_an_invitation_and_its_link_stops_working(client, admin_x, enterprise_x):
    invitation, token = accounts.invite_member(
        enterprise=enterprise_x, actor=admin_x, email="d@x.cn", role="driver", days=2, site_url=""
    )
    client.force_login(admin_x)
    client.post(reverse("registry:invitation_revoke", args=[enterprise_x.pk, invitation.pk]))
    client.logout()
    assert client.get(reverse("invitation_accept", args=[token])).status_code == 409


def test_admin_removes_a_member_but_never_the_last_admin(client, admin_x, preparer_x, enterprise_x):
    client.force_login(admin_x)
    preparer_membership = EnterpriseMembership.objects.get(user=preparer_x)
    client.post(reverse("registry:member_remove", args=[enterprise_x.pk, preparer_membership.pk]))
    assert not EnterpriseMembership.objects.filter(user=preparer_x).exists()
    assert User.objects.filter(pk=preparer_x.pk, is_active=True).exists()  # the account itself stays

    own = EnterpriseMembership.objects.get(user=admin_x)
    client.post(reverse("registry:member_remove", args=[enterprise_x.pk, own.pk]))
    assert EnterpriseMembership.objects.filter(pk=own.pk).exists()


def test_only_the_enterprise_admin_manages_its_people(
    client, preparer_x, officer_a, admin_x, enterprise_x, enterprise_y
):
    url = reverse("registry:member_list", args=[enterprise_x.pk])
    for outsider, expected in ((preparer_x, 403), (officer_a, 403)):
        client.force_login(outsider)
        assert client.get(url).status_code == expected
        assert client.post(url, {"email": "a@b.cn", "role": "driver", "days": "3"}).status_code == expected
    other = f.member(f.UserFactory(username="admin_y"), enterprise_y, EnterpriseRole.ADMIN)
    client.force_login(other)
    assert client.get(url).status_code == 404
    membership = EnterpriseMembership.objects.get(user=admin_x)
    assert client.post(reverse("registry:member_remove", args=[enterprise_x.pk, membership.pk])).status_code == 404
    # Its own enterprise's page does not reach another enterprise's members.
    response = client.post(reverse("registry:member_remove", args=[enterprise_y.pk, membership.pk]))
    assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert EnterpriseMembership.objects.filter(pk=membership.pk).exists()


def test_the_members_page_lists_members_and_open_invitations(
    client, admin_x, preparer_x, enterprise_x, django_assert_max_num_queries
):
    for n in range(3):
        accounts.invite_member(
            enterprise=enterprise_x, actor=admin_x, email=f"p{n}@x.cn", role="driver", days=2, site_url=""
        )
    client.force_login(admin_x)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("registry:member_list", args=[enterprise_x.pk]))
    body = page.content.decode()
    assert "preparer_x" in body and "p2@x.cn" in body
