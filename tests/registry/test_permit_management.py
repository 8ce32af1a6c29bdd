"""Permits in the product: an officer records a licence from the paper copy and verifies it; an enterprise
applies (with lines) and an officer of its park grants or refuses; officers suspend, reinstate, revoke and
renew, each with the acting user and the reason in the permit's history. Pages and API alike refuse an
officer of another park (404), unknown codes or methods, dates out of order, and a second decision (409),
and write nothing when they refuse."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry import licensing
from registry.models import EnterpriseRole, Permit, PermitKind, PermitLine
from registry.rules import LicenceStatus
from tests import factories as f
from tests.api.conftest import error_of
from transfers.services.common import check_receiver_permit
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed

pytestmark = pytest.mark.django_db

HW = "900-249-08"


def today():
    return timezone.localdate()


@pytest.fixture
def receiver_n(park_a):
    """A receiver of park A that holds no licence yet."""
    return f.EnterpriseFactory(name="Receiver N", park=park_a, is_generator=False, is_receiver=True)


@pytest.fixture
def admin_n(receiver_n):
    return f.member(f.UserFactory(username="admin_n"), receiver_n, EnterpriseRole.ADMIN)


def line(code=HW, method="R9", capacity="500"):
    return licensing.LineInput(
        method=f.method(method), annual_capacity_t=Decimal(capacity), waste_code=f.waste_code(code)
    )


def recorded(officer, enterprise, number="GZ-HW-2026-001", **overrides):
    values = {
        "officer": officer,
        "enterprise": enterprise,
        "kind": PermitKind.HAZARDOUS_OPERATING,
        "number": number,
        "issuer": "贵州省生态环境厅",
        "valid_from": today() - timedelta(days=10),
        "valid_to": today() + timedelta(days=365 * 4),
        "activities": licensing.Activities(storage=True, utilization=True),
        "lines": [line()],
    }
    values.update(overrides)
    return licensing.record_permit(**values)


def api_body(enterprise, **overrides):
    body = {
        "enterprise": enterprise.pk,
        "kind": "hw_operating",
        "issuer": "贵州省生态环境厅",
        "valid_from": str(today()),
        "valid_to": str(today() + timedelta(days=365 * 3)),
        "covers_utilization": True,
        "lines": [{"waste_code": HW, "method": "R9", "annual_capacity_t": "800"}],
    }
    body.update(overrides)
    return body


def session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- recording and verifying --------------------------------------------------------------------------


def test_a_recorded_licence_covers_nothing_until_an_officer_verifies_it(officer_a, receiver_n):
    permit = recorded(officer_a, receiver_n)
    assert permit.status == LicenceStatus.PENDING
    waste_code = f.waste_code(HW)
    with pytest.raises(RuleViolation):
        check_receiver_permit(
            receiver=receiver_n, waste_code=waste_code, waste_class="hazardous", on=today(), method=f.method("R9")
        )

    licensing.decide_permit(permit=permit, officer=officer_a, action="verify", reason="checked against the original")
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.VALID and permit.decided_by == officer_a and permit.decided_at
    covering = check_receiver_permit(
        receiver=receiver_n, waste_code=waste_code, waste_class="hazardous", on=today(), method=f.method("R9")
    )
    assert covering.permit == permit
    history = list(permit.history.order_by("history_id").values_list("status", "history_user", "history_change_reason"))
    assert history == [
        ("pending", officer_a.pk, "Recorded from the paper licence"),
        ("valid", officer_a.pk, "Verify: checked against the original"),
    ]


def test_an_officer_of_another_park_cannot_record_or_decide_and_nothing_is_written(officer_a, officer_b, receiver_n):
    with pytest.raises(NotPermitted):
        recorded(officer_b, receiver_n)
    assert not Permit.objects.filter(enterprise=receiver_n).exists()
    permit = recorded(officer_a, receiver_n)
    with pytest.raises(NotPermitted):
        licensing.decide_permit(permit=permit, officer=officer_b, action="verify")
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.PENDING


def test_a_licence_whose_method_is_not_a_licensed_activity_is_refused(officer_a, receiver_n):
    with pytest.raises(RuleViolation) as refused:
        recorded(officer_a, receiver_n, activities=licensing.Activities(disposal=True))
    assert refused.value.code == "method_not_licensed"
    assert not Permit.objects.filter(enterprise=receiver_n).exists()


def test_a_road_transport_permit_belongs_to_a_carrier_and_has_no_lines(officer_a, carrier_c, receiver_n):
    with pytest.raises(RuleViolation) as refused:
        recorded(officer_a, receiver_n, kind=PermitKind.ROAD_TRANSPORT, lines=[])
    assert refused.value.code == "kind_not_of_role"
    permit = recorded(officer_a, carrier_c, kind=PermitKind.ROAD_TRANSPORT, number="黔交运管许可危字001", lines=[])
    assert permit.lines.count() == 0


# --- applications and decisions -----------------------------------------------------------------------


def test_an_enterprise_applies_with_lines_and_an_officer_grants_it_with_the_number(admin_n, officer_a, receiver_n):
    client = session(admin_n)
    response = client.post("/api/v1/permits/", api_body(receiver_n), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "applied" and body["number"] == ""
    assert [(row["waste_code"], row["method"], row["annual_capacity_t"]) for row in body["lines"]] == [
        (HW, "R9", "800.0000")
    ]

    decided = session(officer_a).post(
        f"/api/v1/permits/{body['id']}/grant/", {"number": "GZ-HW-2026-777", "reason": "材料齐全"}, format="json"
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "valid" and decided.json()["number"] == "GZ-HW-2026-777"

    again = session(officer_a).post(f"/api/v1/permits/{body['id']}/refuse/", {"reason": "late"}, format="json")
    assert again.status_code == 409
    assert error_of(again)["code"] == "transition_not_allowed"
    permit = Permit.objects.get(pk=body["id"])
    assert permit.status == LicenceStatus.VALID and permit.status_reason == "材料齐全"


def test_granting_without_the_number_issued_is_refused(admin_n, officer_a, receiver_n):
    permit = licensing.apply_for_permit(
        applicant=admin_n, enterprise=receiver_n, kind=PermitKind.HAZARDOUS_OPERATING, issuer="贵州省生态环境厅",
        valid_from=today(), valid_to=today() + timedelta(days=300),
        activities=licensing.Activities(utilization=True), lines=[line()],
    )  # fmt: skip
    response = session(officer_a).post(f"/api/v1/permits/{permit.pk}/grant/", {}, format="json")
    assert response.status_code == 400
    assert "number" in error_of(response)["fields"]
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.APPLIED


def test_a_refusal_needs_a_reason(admin_n, officer_a, receiver_n):
    permit = licensing.apply_for_permit(
        applicant=admin_n, enterprise=receiver_n, kind=PermitKind.HAZARDOUS_OPERATING, issuer="贵州省生态环境厅",
        valid_from=today(), valid_to=today() + timedelta(days=300),
        activities=licensing.Activities(utilization=True), lines=[line()],
    )  # fmt: skip
    with pytest.raises(TransitionNotAllowed):
        licensing.decide_permit(permit=permit, officer=officer_a, action="refuse", reason=" ")
    licensing.decide_permit(permit=permit, officer=officer_a, action="refuse", reason="规模不符")
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.REFUSED and permit.status_reason == "规模不符"


def test_only_an_administrator_applies(receiver_n, park_a):
    clerk = f.member(f.UserFactory(username="clerk_n"), receiver_n, EnterpriseRole.PREPARER)
    response = session(clerk).post("/api/v1/permits/", api_body(receiver_n), format="json")
    assert response.status_code == 403
    assert not Permit.objects.filter(enterprise=receiver_n).exists()


def test_the_enterprises_own_api_client_applies(receiver_n):
    from registry.clients import create_api_client

    _, token = create_api_client(name="N ERP", scope="enterprise", enterprise=receiver_n)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post("/api/v1/permits/", api_body(receiver_n), format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "applied"


@pytest.mark.parametrize(
    "lines, field",
    [
        ([{"waste_code": "999-999-99", "method": "R9", "annual_capacity_t": "1"}], "waste_code"),
        ([{"category": "HW99", "method": "R9", "annual_capacity_t": "1"}], "category"),
        ([{"waste_code": HW, "method": "R99", "annual_capacity_t": "1"}], "method"),
        ([{"waste_code": HW, "category": "HW08", "method": "R9", "annual_capacity_t": "1"}], "non_field_errors"),
        ([{"waste_code": HW, "method": "R9", "annual_capacity_t": "-1"}], "annual_capacity_t"),
    ],
)
def test_lines_naming_unknown_codes_or_methods_are_refused_and_nothing_is_written(admin_n, receiver_n, lines, field):
    response = session(admin_n).post("/api/v1/permits/", api_body(receiver_n, lines=lines), format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]["lines"]["0"]
    assert not Permit.objects.filter(enterprise=receiver_n).exists()
    assert not PermitLine.objects.filter(permit__enterprise=receiver_n).exists()


def test_dates_out_of_order_are_refused(admin_n, officer_a, receiver_n):
    body = api_body(receiver_n, valid_from=str(today()), valid_to=str(today() - timedelta(days=1)))
    response = session(admin_n).post("/api/v1/permits/", body, format="json")
    assert response.status_code == 400
    assert "valid_to" in error_of(response)["fields"]
    # A term beyond the Measures' five years is refused by the model's own check.
    body = api_body(receiver_n, number="GZ-1", valid_from=str(today()), valid_to=str(today() + timedelta(days=6 * 365)))
    response = session(officer_a).post("/api/v1/permits/", body, format="json")
    assert response.status_code == 400
    assert "valid_to" in error_of(response)["fields"]
    assert not Permit.objects.filter(enterprise=receiver_n).exists()


def test_an_officer_of_another_park_is_told_the_permit_does_not_exist(admin_n, officer_b, receiver_n):
    permit = licensing.apply_for_permit(
        applicant=admin_n, enterprise=receiver_n, kind=PermitKind.HAZARDOUS_OPERATING, issuer="贵州省生态环境厅",
        valid_from=today(), valid_to=today() + timedelta(days=300),
        activities=licensing.Activities(utilization=True), lines=[line()],
    )  # fmt: skip
    response = session(officer_b).post(f"/api/v1/permits/{permit.pk}/grant/", {"number": "X"}, format="json")
    assert response.status_code == 404
    client = Client()
    client.force_login(officer_b)
    assert client.get(reverse("registry:permit_detail", args=[permit.pk])).status_code == 404
    page = client.post(reverse("registry:permit_decide", args=[permit.pk, "grant"]), {"number": "X"})
    assert page.status_code == 404
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.APPLIED and permit.number == ""


# --- suspension, revocation, renewal ------------------------------------------------------------------


def test_a_suspended_licence_covers_nothing_until_reinstated_and_a_revoked_one_never_again(officer_a, receiver_r):
    permit = receiver_r.permits.get()
    licensing.decide_permit(permit=permit, officer=officer_a, action="suspend", reason="整改期间")
    assert not Permit.objects.valid_on(today()).filter(pk=permit.pk).exists()
    licensing.decide_permit(permit=permit, officer=officer_a, action="reinstate")
    assert Permit.objects.valid_on(today()).filter(pk=permit.pk).exists()
    with pytest.raises(TransitionNotAllowed):
        licensing.decide_permit(permit=permit, officer=officer_a, action="revoke", reason="")
    licensing.decide_permit(permit=permit, officer=officer_a, action="revoke", reason="超范围经营")
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.REVOKED and permit.revoked_at is not None
    with pytest.raises(TransitionNotAllowed):
        licensing.decide_permit(permit=permit, officer=officer_a, action="reinstate")
    reasons = list(permit.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[-3:] == ["Suspend: 整改期间", "Reinstate", "Revoke: 超范围经营"]


def test_a_renewal_is_a_new_licence_with_the_same_lines_and_the_old_one_ends_the_day_before(officer_a, receiver_r):
    old = receiver_r.permits.get()
    start = today() + timedelta(days=30)
    renewed = licensing.renew_permit(
        permit=old,
        officer=officer_a,
        number="GZ-HW-2031-001",
        valid_from=start,
        valid_to=old.valid_to + timedelta(days=100),
    )
    old.refresh_from_db()
    assert renewed.status == LicenceStatus.VALID and renewed.renews == old
    assert old.valid_to == start - timedelta(days=1)
    assert list(renewed.lines.values_list("waste_code__code", "method__code")) == [(HW, "R9")]
    with pytest.raises(TransitionNotAllowed):
        licensing.renew_permit(
            permit=old, officer=officer_a, number="GZ-HW-2031-002", valid_from=start, valid_to=start + timedelta(days=9)
        )


# --- pages --------------------------------------------------------------------------------------------


def test_an_officer_records_a_licence_on_the_page_with_its_lines(officer_a, receiver_n):
    client = Client()
    client.force_login(officer_a)
    assert client.get(reverse("registry:permit_new")).status_code == 200
    data = {
        "enterprise": receiver_n.pk, "kind": "hw_operating", "number": "GZ-HW-2026-100", "issuer": "贵州省生态环境厅",
        "valid_from": str(today()), "valid_to": str(today() + timedelta(days=700)), "covers_utilization": "on",
        "line-TOTAL_FORMS": "2", "line-INITIAL_FORMS": "0", "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "50",
        "line-0-code": "HW08", "line-0-method": "r9", "line-0-annual_capacity_t": "300",
    }  # fmt: skip
    response = client.post(reverse("registry:permit_new"), data)
    permit = Permit.objects.get(number="GZ-HW-2026-100")
    assert response.status_code == 302 and response["Location"] == reverse("registry:permit_detail", args=[permit.pk])
    assert permit.status == LicenceStatus.PENDING
    assert list(permit.lines.values_list("category__code", "method__code")) == [("HW08", "R9")]
    page = client.get(reverse("registry:permit_detail", args=[permit.pk])).content.decode()
    assert 'data-testid="permit-verify"' in page


def test_the_page_refuses_an_unknown_code_and_dates_out_of_order_and_saves_nothing(officer_a, receiver_n):
    client = Client()
    client.force_login(officer_a)
    data = {
        "enterprise": receiver_n.pk, "kind": "hw_operating", "number": "GZ-BAD", "issuer": "贵州省生态环境厅",
        "valid_from": str(today()), "valid_to": str(today() - timedelta(days=1)), "covers_utilization": "on",
        "line-TOTAL_FORMS": "1", "line-INITIAL_FORMS": "0", "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "50",
        "line-0-code": "999-999-99", "line-0-method": "R9", "line-0-annual_capacity_t": "300",
    }  # fmt: skip
    response = client.post(reverse("registry:permit_new"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "No waste code or category 999-999-99 in the catalogue." in body
    assert "The end of validity cannot be before its start." in body
    assert not Permit.objects.filter(number="GZ-BAD").exists()


def test_a_second_decision_on_the_page_answers_409_and_changes_nothing(officer_a, receiver_n):
    permit = recorded(officer_a, receiver_n)
    client = Client()
    client.force_login(officer_a)
    assert client.post(reverse("registry:permit_decide", args=[permit.pk, "verify"])).status_code == 302
    response = client.post(reverse("registry:permit_decide", args=[permit.pk, "refuse"]), {"reason": "wrong"})
    assert response.status_code == 409
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.VALID


def test_enterprise_staff_see_their_permit_but_no_officer_actions(admin_n, officer_a, receiver_n):
    permit = recorded(officer_a, receiver_n)
    client = Client()
    client.force_login(admin_n)
    page = client.get(reverse("registry:permit_detail", args=[permit.pk])).content.decode()
    assert "GZ-HW-2026-001" in page and 'data-testid="permit-actions"' not in page
    response = client.post(reverse("registry:permit_decide", args=[permit.pk, "verify"]))
    assert response.status_code == 403
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.PENDING


def test_the_permit_page_runs_a_constant_number_of_queries(officer_a, receiver_n, django_assert_max_num_queries):
    permit = recorded(officer_a, receiver_n, lines=[line(), line(method="R4"), line(code="900-041-49", method="R4")])
    client = Client()
    client.force_login(officer_a)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("registry:permit_detail", args=[permit.pk])).status_code == 200


def test_the_permit_list_shows_what_awaits_the_officers(officer_a, admin_n, receiver_n, receiver_r):
    permit = licensing.apply_for_permit(
        applicant=admin_n, enterprise=receiver_n, kind=PermitKind.HAZARDOUS_OPERATING, issuer="贵州省生态环境厅",
        valid_from=today(), valid_to=today() + timedelta(days=300),
        activities=licensing.Activities(utilization=True), lines=[line()],
    )  # fmt: skip
    client = Client()
    client.force_login(officer_a)
    page = client.get(reverse("registry:permit_list"), {"validity": "awaiting"}).content.decode()
    assert reverse("registry:permit_detail", args=[permit.pk]) in page
    assert 'data-state="applied"' in page
    assert receiver_r.permits.get().number not in page
    # An application is no valid licence, whatever its dates.
    page = client.get(reverse("registry:permit_list"), {"validity": "valid"}).content.decode()
    assert reverse("registry:permit_detail", args=[permit.pk]) not in page
