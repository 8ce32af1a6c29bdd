"""Registry pages: the register, applying, and officers' decisions; tenancy on every page.

The enterprise page itself is reporting's (tests/reporting/test_views_enterprise.py); its old address
here redirects to it.
"""

import pytest
from django.urls import reverse

from registry.models import Enterprise, EnterpriseStatus
from registry.rules import ENTERPRISE_FLOW, EnterpriseAction
from tests import factories as f

REAL_CODE = "914403001922038216"


def application(park, **overrides):
    data = {
        "park": park.pk,
        "credit_code": REAL_CODE,
        "name": "铜仁大龙新材料有限公司",
        "industry_code": "C3985",
        "contact_name": "王强",
        "contact_phone": "0856-1234567",
        "contact_email": "",
        "address": "大龙开发区",
        "is_generator": "on",
        "facility-TOTAL_FORMS": "1",
        "facility-INITIAL_FORMS": "0",
        "facility-0-name": "危废暂存间",
        "facility-0-kind": "warehouse",
        "facility-0-capacity_t": "20",
    }
    data.update(overrides)
    return data


def test_pages_need_a_login(client, enterprise_x):
    for url in [
        reverse("registry:enterprise_list"),
        f"/registry/enterprises/{enterprise_x.pk}/",
        reverse("registry:enterprise_apply"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_applicant_registers_through_the_form(client, park_a):
    client.force_login(f.UserFactory(username="clerk"))
    response = client.post(
        reverse("registry:enterprise_apply"), application(park_a, credit_code=" 9144 0300 1922 0382 16 ")
    )
    enterprise = Enterprise.objects.get(credit_code=REAL_CODE)
    assert response.status_code == 302
    assert enterprise.status == EnterpriseStatus.PENDING
    assert enterprise.facilities.get().name == "危废暂存间"


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"credit_code": "914403001922038217"}, "credit_code", "check character"),
        ({"credit_code": "91440300192203821O"}, "credit_code", "O"),
        ({"credit_code": "9144030019"}, "credit_code", "18"),
        ({"facility-0-capacity_t": "-5"}, None, "0"),
        ({"is_generator": ""}, "is_generator", "at least one role"),
    ],
)
def test_bad_input_shows_field_messages_keeps_the_input_and_saves_nothing(client, park_a, overrides, field, message):
    client.force_login(f.UserFactory(username="clerk"))
    response = client.post(reverse("registry:enterprise_apply"), application(park_a, **overrides))
    assert response.status_code == 200
    form = response.context["form"]
    if field:
        assert message in str(form.errors[field])
    else:
        assert response.context["facilities"].errors[0]["capacity_t"]
    assert "铜仁大龙新材料有限公司" in response.content.decode()
    assert not Enterprise.objects.exists()


def test_a_duplicate_credit_code_is_a_field_message(client, park_a, enterprise_x):
    client.force_login(f.UserFactory(username="clerk"))
    response = client.post(
        reverse("registry:enterprise_apply"), application(park_a, credit_code=enterprise_x.credit_code)
    )
    assert "already registered" in str(response.context["form"].errors["credit_code"])
    assert Enterprise.objects.count() == 1


def test_officer_verifies_from_the_detail_page(client, officer_a, park_a):
    pending = f.EnterpriseFactory(park=park_a, status=EnterpriseStatus.PENDING)
    client.force_login(officer_a)
    page = client.get(reverse("reporting:enterprise_detail", args=[pending.pk]))
    assert page.context["can_decide"] is True
    client.post(reverse("registry:enterprise_decide", args=[pending.pk, "verify"]))
    pending.refresh_from_db()
    assert pending.status == EnterpriseStatus.ACTIVE


def test_rejecting_without_a_reason_is_refused_with_a_message(client, officer_a, park_a):
    pending = f.EnterpriseFactory(park=park_a, status=EnterpriseStatus.PENDING)
    client.force_login(officer_a)
    response = client.post(
        reverse("registry:enterprise_decide", args=[pending.pk, "reject"]), {"reason": ""}, follow=True
    )
    assert "reason" in response.content.decode().lower() or "原因" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == EnterpriseStatus.PENDING


def test_an_enterprise_user_cannot_decide_on_its_own_enterprise(client, admin_x, enterprise_x):
    client.force_login(admin_x)
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status=EnterpriseStatus.PENDING)
    assert client.get(reverse("reporting:enterprise_detail", args=[enterprise_x.pk])).context["can_decide"] is False
    client.post(reverse("registry:enterprise_decide", args=[enterprise_x.pk, "verify"]))
    assert Enterprise.objects.get(pk=enterprise_x.pk).status == EnterpriseStatus.PENDING


@pytest.mark.parametrize("persona", ["officer_b", "preparer_y", "driver_c"])
def test_pages_of_another_park_or_enterprise_answer_404(client, request, persona, enterprise_x):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/registry/enterprises/{enterprise_x.pk}/").status_code == 404
    response = client.post(reverse("registry:enterprise_decide", args=[enterprise_x.pk, "suspend"]), {"reason": "x"})
    assert response.status_code == 404
    assert Enterprise.objects.get(pk=enterprise_x.pk).status == EnterpriseStatus.ACTIVE


def test_an_unknown_action_is_404(client, officer_a, enterprise_x):
    client.force_login(officer_a)
    assert client.post(reverse("registry:enterprise_decide", args=[enterprise_x.pk, "delete"])).status_code == 404


@pytest.mark.parametrize(
    "persona, expected",
    [("officer_a", "park_a"), ("officer_b", "park_b"), ("preparer_x", "own"), ("provincial", "all")],
)
def test_the_list_shows_what_each_persona_may_see(
    client, request, persona, expected, enterprise_x, enterprise_y, park_a, park_b
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    shown = {e.pk for e in client.get(reverse("registry:enterprise_list")).context["page"]}
    wanted = {
        "park_a": set(Enterprise.objects.filter(park=park_a).values_list("pk", flat=True)),
        "park_b": set(Enterprise.objects.filter(park=park_b).values_list("pk", flat=True)),
        "own": {enterprise_x.pk},
        "all": set(Enterprise.objects.values_list("pk", flat=True)),
    }[expected]
    assert shown == wanted


def test_the_list_runs_a_constant_number_of_queries(client, officer_a, park_a, django_assert_max_num_queries):
    client.force_login(officer_a)
    f.EnterpriseFactory.create_batch(3, park=park_a)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("registry:enterprise_list"))
    f.EnterpriseFactory.create_batch(40, park=park_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("registry:enterprise_list"))


def test_search_and_status_filter(client, officer_a, park_a):
    f.EnterpriseFactory(park=park_a, name="锰渣综合利用", status=EnterpriseStatus.PENDING)
    f.EnterpriseFactory(park=park_a, name="水泥厂")
    client.force_login(officer_a)
    page = client.get(reverse("registry:enterprise_list"), {"q": "锰渣", "status": "pending"}).context["page"]
    assert [e.name for e in page] == ["锰渣综合利用"]


def test_applying_and_deciding_lead_to_the_enterprise_page(client, officer_a, park_a):
    client.force_login(f.UserFactory(username="clerk"))
    applied = client.post(reverse("registry:enterprise_apply"), application(park_a))
    enterprise = Enterprise.objects.get(credit_code=REAL_CODE)
    assert applied["Location"] == reverse("reporting:enterprise_detail", args=[enterprise.pk])
    client.force_login(officer_a)
    decided = client.post(reverse("registry:enterprise_decide", args=[enterprise.pk, "verify"]))
    assert decided["Location"] == reverse("reporting:enterprise_detail", args=[enterprise.pk])


def test_the_old_address_of_the_enterprise_page_redirects_for_good(client, officer_a, enterprise_x):
    client.force_login(officer_a)
    response = client.get(f"/registry/enterprises/{enterprise_x.pk}/")
    assert response.status_code == 301
    assert response["Location"] == reverse("reporting:enterprise_detail", args=[enterprise_x.pk])


def test_a_refused_decision_is_shown_in_the_workflows_one_wording(client, officer_a, enterprise_x):
    client.force_login(officer_a)
    response = client.post(reverse("registry:enterprise_decide", args=[enterprise_x.pk, "verify"]), follow=True)
    refusal = ENTERPRISE_FLOW.refusal(EnterpriseAction.VERIFY, EnterpriseStatus.ACTIVE).message
    assert [str(message) for message in response.context["messages"]] == [refusal]
    assert Enterprise.objects.get(pk=enterprise_x.pk).status == EnterpriseStatus.ACTIVE
