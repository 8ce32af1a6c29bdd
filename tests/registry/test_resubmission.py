"""Resubmitting a rejected registration from the enterprise page: only its administrator may, only once
rejected, and another enterprise's staff are told the enterprise does not exist."""

import pytest
from django.urls import reverse

from registry import services
from registry.models import Enterprise, EnterpriseRole, EnterpriseStatus
from registry.rules import ENTERPRISE_FLOW, EnterpriseAction
from tests import factories as f


@pytest.fixture
def rejected_x(enterprise_x, officer_a):
    """Enterprise X, registered and then rejected by its park's officer."""
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status=EnterpriseStatus.PENDING)
    return services.reject_enterprise(enterprise=enterprise_x, officer=officer_a, reason="营业执照与信用代码不符")


def resubmit(client, enterprise, note=""):
    return client.post(reverse("registry:enterprise_resubmit", args=[enterprise.pk]), {"reason": note}, follow=True)


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_administrator_resubmits_a_rejected_registration_and_it_is_pending_again(client, admin_x, rejected_x):
    client.force_login(admin_x)
    response = client.post(reverse("registry:enterprise_resubmit", args=[rejected_x.pk]), {"reason": "已补充营业执照"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:enterprise_detail", args=[rejected_x.pk])
    rejected_x.refresh_from_db()
    assert rejected_x.status == EnterpriseStatus.PENDING
    assert rejected_x.status_reason == "已补充营业执照"
    latest = rejected_x.history.latest()
    assert latest.status == EnterpriseStatus.PENDING
    assert latest.history_user == admin_x
    assert latest.history_change_reason == "Registration resubmitted"
    statuses = list(rejected_x.history.order_by("history_date").values_list("status", flat=True))
    assert statuses[-2:] == [EnterpriseStatus.REJECTED, EnterpriseStatus.PENDING]


def test_the_page_says_the_registration_went_back_to_the_officers(client, admin_x, rejected_x):
    client.force_login(admin_x)
    assert shown_messages(resubmit(client, rejected_x)) == [
        "Registration resubmitted. The park's officers will verify it again."
    ]


@pytest.mark.parametrize("persona", ["viewer_x", "preparer_x", "officer_a"])
def test_only_an_administrator_of_the_enterprise_may_resubmit(client, request, persona, rejected_x):
    client.force_login(request.getfixturevalue(persona))
    history_before = rejected_x.history.count()
    response = resubmit(client, rejected_x)
    assert shown_messages(response) == ["Only an administrator of this enterprise may resubmit its registration."]
    rejected_x.refresh_from_db()
    assert rejected_x.status == EnterpriseStatus.REJECTED
    assert rejected_x.history.count() == history_before


def test_another_enterprises_administrator_is_told_it_does_not_exist(client, enterprise_y, rejected_x):
    admin_y = f.member(f.UserFactory(username="admin_y"), enterprise_y, EnterpriseRole.ADMIN)
    client.force_login(admin_y)
    response = client.post(reverse("registry:enterprise_resubmit", args=[rejected_x.pk]))
    assert response.status_code == 404
    assert Enterprise.objects.get(pk=rejected_x.pk).status == EnterpriseStatus.REJECTED


def test_a_pending_registration_cannot_be_resubmitted(client, admin_x, enterprise_x):
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status=EnterpriseStatus.PENDING)
    history_before = enterprise_x.history.count()
    client.force_login(admin_x)
    response = resubmit(client, enterprise_x)
    refusal = ENTERPRISE_FLOW.refusal(EnterpriseAction.RESUBMIT, EnterpriseStatus.PENDING)
    assert refusal.http_status == 409
    assert shown_messages(response) == [refusal.message]
    enterprise_x.refresh_from_db()
    assert enterprise_x.status == EnterpriseStatus.PENDING
    assert enterprise_x.history.count() == history_before


def test_resubmitting_needs_a_login_and_a_post(client, admin_x, rejected_x):
    url = reverse("registry:enterprise_resubmit", args=[rejected_x.pk])
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(admin_x)
    assert client.get(url).status_code == 405
    assert Enterprise.objects.get(pk=rejected_x.pk).status == EnterpriseStatus.REJECTED


def test_the_address_is_the_enterprises_resubmit_step():
    assert reverse("registry:enterprise_resubmit", args=[7]) == "/registry/enterprises/7/resubmit/"


def test_only_its_administrators_administer_an_enterprise(admin_x, viewer_x, officer_a, superuser, enterprise_x):
    assert enterprise_x.is_administered_by(admin_x)
    assert not any(enterprise_x.is_administered_by(user) for user in (viewer_x, officer_a, superuser))


def test_the_enterprise_page_offers_resubmission_to_its_administrator_only(client, admin_x, viewer_x, rejected_x):
    url = reverse("reporting:enterprise_detail", args=[rejected_x.pk])
    action = reverse("registry:enterprise_resubmit", args=[rejected_x.pk])
    client.force_login(admin_x)
    assert action in client.get(url).content.decode()
    client.force_login(viewer_x)
    assert action not in client.get(url).content.decode()


def test_a_pending_registration_offers_no_resubmission(client, admin_x, enterprise_x):
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status=EnterpriseStatus.PENDING)
    client.force_login(admin_x)
    page = client.get(reverse("reporting:enterprise_detail", args=[enterprise_x.pk])).content.decode()
    assert reverse("registry:enterprise_resubmit", args=[enterprise_x.pk]) not in page
