"""Cross-province transfer approvals in the product: the consignor's administrator applies, an officer of
the consignor's park grants (with the number issued) or refuses; officers record one from the paper copy
and verify it, suspend, reinstate and revoke. Only a granted approval lets a manifest go out."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry import licensing
from registry.models import Division, TransferApproval
from registry.rules import LicenceStatus
from tests import factories as f
from tests.api.conftest import error_of
from transfers.services.common import find_approval
from wasteparks.errors import NotPermitted, RuleViolation

pytestmark = pytest.mark.django_db

HW = "900-249-08"


@pytest.fixture
def receiver_q(catalogue):
    """A receiver in Chongqing (province 50)."""
    division, _ = Division.objects.get_or_create(
        code="5001", defaults={"name_zh": "重庆市", "name_en": "Chongqing", "province_code": "50"}
    )
    park = f.ParkFactory(name="重庆长寿经济技术开发区", division=division)
    return f.EnterpriseFactory(name="Receiver Q (Chongqing)", park=park, is_generator=False, is_receiver=True)


def session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(consignor, receiver, **overrides):
    today = timezone.localdate()
    values = {
        "consignor": consignor.pk,
        "receiver": receiver.pk,
        "waste_code": HW,
        "approved_quantity_t": "50",
        "valid_from": str(today),
        "valid_to": str(today + timedelta(days=300)),
        "issuer": "贵州省生态环境厅",
    }
    values.update(overrides)
    return values


def test_the_consignor_applies_and_an_officer_of_its_park_grants_it(admin_x, officer_a, enterprise_x, receiver_q):
    response = session(admin_x).post("/api/v1/transfer-approvals/", body(enterprise_x, receiver_q), format="json")
    assert response.status_code == 201, response.json()
    approval = TransferApproval.objects.get(pk=response.json()["id"])
    assert approval.status == LicenceStatus.APPLIED and approval.number == ""
    on = timezone.localdate()
    assert (
        find_approval(
            consignor=enterprise_x,
            receiver=receiver_q,
            waste_code_id=approval.waste_code_id,
            quantity_t=Decimal("1"),
            on=on,
        )
        is None
    )

    granted = session(officer_a).post(
        f"/api/v1/transfer-approvals/{approval.pk}/grant/", {"number": "黔固转〔2026〕12号"}, format="json"
    )
    assert granted.status_code == 200
    assert granted.json()["status"] == "valid" and granted.json()["number"] == "黔固转〔2026〕12号"
    assert (
        find_approval(
            consignor=enterprise_x,
            receiver=receiver_q,
            waste_code_id=approval.waste_code_id,
            quantity_t=Decimal("1"),
            on=on,
        )
        == approval
    )

    again = session(officer_a).post(f"/api/v1/transfer-approvals/{approval.pk}/grant/", {"number": "2"}, format="json")
    assert again.status_code == 409
    assert error_of(again)["code"] == "transition_not_allowed"


def test_an_officer_of_another_park_gets_404_and_nothing_changes(admin_x, officer_b, enterprise_x, receiver_q):
    approval = licensing.apply_for_approval(
        applicant=admin_x, consignor=enterprise_x, receiver=receiver_q, waste_code=f.waste_code(HW),
        approved_quantity_t=Decimal("5"), valid_from=timezone.localdate(),
        valid_to=timezone.localdate() + timedelta(days=30), issuer="贵州省生态环境厅",
    )  # fmt: skip
    response = session(officer_b).post(
        f"/api/v1/transfer-approvals/{approval.pk}/grant/", {"number": "1"}, format="json"
    )
    assert response.status_code == 404
    client = Client()
    client.force_login(officer_b)
    assert client.get(reverse("registry:approval_detail", args=[approval.pk])).status_code == 404
    assert client.post(reverse("registry:approval_decide", args=[approval.pk, "grant"])).status_code == 404
    approval.refresh_from_db()
    assert approval.status == LicenceStatus.APPLIED


def test_an_approval_inside_the_province_or_longer_than_12_months_is_refused(
    admin_x, enterprise_x, receiver_r, receiver_q
):
    response = session(admin_x).post("/api/v1/transfer-approvals/", body(enterprise_x, receiver_r), format="json")
    assert response.status_code == 400 and error_of(response)["code"] == "not_cross_province"
    today = timezone.localdate()
    response = session(admin_x).post(
        "/api/v1/transfer-approvals/",
        body(enterprise_x, receiver_q, valid_to=str(today + timedelta(days=400))),
        format="json",
    )
    assert response.status_code == 400 and "valid_to" in error_of(response)["fields"]
    response = session(admin_x).post(
        "/api/v1/transfer-approvals/",
        body(enterprise_x, receiver_q, valid_to=str(today - timedelta(days=1))),
        format="json",
    )
    assert response.status_code == 400 and "valid_to" in error_of(response)["fields"]
    response = session(admin_x).post(
        "/api/v1/transfer-approvals/", body(enterprise_x, receiver_q, waste_code="999-999-99"), format="json"
    )
    assert response.status_code == 400 and "waste_code" in error_of(response)["fields"]
    assert not TransferApproval.objects.exists()


def test_a_recorded_approval_is_verified_then_suspended_and_revoked_with_reasons(officer_a, enterprise_x, receiver_q):
    approval = licensing.record_approval(
        officer=officer_a, consignor=enterprise_x, receiver=receiver_q, waste_code=f.waste_code(HW),
        approved_quantity_t=Decimal("20"), number="黔固转〔2026〕3号", issuer="贵州省生态环境厅",
        valid_from=timezone.localdate(), valid_to=timezone.localdate() + timedelta(days=100),
    )  # fmt: skip
    assert approval.status == LicenceStatus.PENDING
    for action, reason in (("verify", ""), ("suspend", "数量核查"), ("revoke", "虚假申报")):
        licensing.decide_approval(approval=approval, officer=officer_a, action=action, reason=reason)
    approval.refresh_from_db()
    assert approval.status == LicenceStatus.REVOKED and approval.status_reason == "虚假申报"
    assert list(approval.history.order_by("history_id").values_list("status", flat=True)) == [
        "pending", "valid", "suspended", "revoked",
    ]  # fmt: skip


def test_a_preparer_may_not_apply_and_an_officer_may_not_apply_for_another_park(
    preparer_x, officer_b, enterprise_x, receiver_q
):
    with pytest.raises(NotPermitted):
        licensing.apply_for_approval(
            applicant=preparer_x, consignor=enterprise_x, receiver=receiver_q, waste_code=f.waste_code(HW),
            approved_quantity_t=Decimal("5"), valid_from=timezone.localdate(),
            valid_to=timezone.localdate() + timedelta(days=30), issuer="贵州省生态环境厅",
        )  # fmt: skip
    with pytest.raises(NotPermitted):
        licensing.record_approval(
            officer=officer_b, consignor=enterprise_x, receiver=receiver_q, waste_code=f.waste_code(HW),
            approved_quantity_t=Decimal("5"), number="N1", issuer="贵州省生态环境厅",
            valid_from=timezone.localdate(), valid_to=timezone.localdate() + timedelta(days=30),
        )  # fmt: skip
    assert not TransferApproval.objects.exists()


def test_the_approval_pages_list_apply_and_decide(admin_x, officer_a, enterprise_x, receiver_q):
    client = Client()
    client.force_login(admin_x)
    today = timezone.localdate()
    response = client.post(
        reverse("registry:approval_new"),
        {"consignor": enterprise_x.pk, "receiver": receiver_q.pk, "waste_code": HW, "approved_quantity_t": "12",
         "valid_from": str(today), "valid_to": str(today + timedelta(days=60)), "issuer": "贵州省生态环境厅"},
    )  # fmt: skip
    approval = TransferApproval.objects.get()
    assert response.status_code == 302 and approval.status == LicenceStatus.APPLIED
    officer = Client()
    officer.force_login(officer_a)
    listing = officer.get(reverse("registry:approval_list")).content.decode()
    assert reverse("registry:approval_detail", args=[approval.pk]) in listing
    response = officer.post(reverse("registry:approval_decide", args=[approval.pk, "grant"]), {"number": "黔固转1"})
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.status == LicenceStatus.VALID and approval.number == "黔固转1"


def test_a_rule_violation_leaves_nothing(admin_x, enterprise_x):
    with pytest.raises(RuleViolation):
        licensing.apply_for_approval(
            applicant=admin_x, consignor=enterprise_x, receiver=enterprise_x, waste_code=f.waste_code(HW),
            approved_quantity_t=Decimal("5"), valid_from=timezone.localdate(),
            valid_to=timezone.localdate() + timedelta(days=30), issuer="贵州省生态环境厅",
        )  # fmt: skip
    assert not TransferApproval.objects.exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_the_approval_list_runs_a_constant_number_of_queries(officer_a, enterprise_x, receiver_q, rows,
                                                             django_assert_max_num_queries):  # fmt: skip
    for n in range(rows):
        f.TransferApprovalFactory(consignor=enterprise_x, receiver=receiver_q, number=f"黔固转{n}")
    client = Client()
    client.force_login(officer_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("registry:approval_list"))
    assert response.status_code == 200 and "黔固转2" in response.content.decode()
