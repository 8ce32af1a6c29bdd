"""Registration: an enterprise applies, its park's officer verifies, rejects or suspends it; history."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from registry import services
from registry.models import Enterprise, EnterpriseMembership, EnterpriseStatus, Facility
from registry.rules import ENTERPRISE_FLOW, EnterpriseAction
from tests import factories as f
from wasteparks.errors import NotPermitted, TransitionNotAllowed


@pytest.fixture
def applicant(db):
    return f.UserFactory(username="applicant")


def apply(applicant, park, **overrides):
    values = {
        "applicant": applicant,
        "park": park,
        "credit_code": f.credit_code(777),
        "name": "铜仁大龙新材料有限公司",
        "industry_code": "C3985",
        "contact_name": "王强",
        "contact_phone": "0856-1234567",
        "is_generator": True,
        "is_carrier": False,
        "is_receiver": False,
        "facilities": [services.FacilityInput("危废暂存间", "warehouse", Decimal("50"))],
    }
    values.update(overrides)
    return services.apply_for_registration(**values)


def test_an_application_is_pending_and_makes_the_applicant_its_admin(applicant, park_a):
    enterprise = apply(applicant, park_a)
    assert enterprise.status == EnterpriseStatus.PENDING
    assert EnterpriseMembership.objects.get(user=applicant, enterprise=enterprise).role == "admin"
    assert enterprise.facilities.get().capacity_t == Decimal("50")
    assert Enterprise.objects.visible_to(applicant).get() == enterprise


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"credit_code": "914403001922038217"}, "credit_code"),
        ({"credit_code": "91440300192203821"}, "credit_code"),
        ({"credit_code": "9144030019220382IO"}, "credit_code"),
        ({"industry_code": "manufacturing"}, "industry_code"),
        ({"is_generator": False}, "__all__"),
    ],
)
def test_invalid_applications_are_refused_and_nothing_is_saved(applicant, park_a, overrides, field):
    with pytest.raises(ValidationError) as error:
        apply(applicant, park_a, **overrides)
    assert field in error.value.message_dict
    assert not Enterprise.objects.exists()
    assert not Facility.objects.exists()
    assert not EnterpriseMembership.objects.exists()


def test_a_negative_facility_capacity_refuses_the_whole_application(applicant, park_a):
    with pytest.raises(ValidationError):
        apply(applicant, park_a, facilities=[services.FacilityInput("堆场", "yard", Decimal("-1"))])
    assert not Enterprise.objects.exists()


def test_a_duplicate_credit_code_is_refused(applicant, park_a, enterprise_x):
    with pytest.raises(ValidationError) as error:
        apply(applicant, park_a, credit_code=enterprise_x.credit_code)
    assert "already registered" in str(error.value.message_dict["credit_code"])
    assert Enterprise.objects.count() == 1


def test_the_park_officer_verifies_and_history_says_who_and_when(applicant, park_a, officer_a):
    enterprise = apply(applicant, park_a)
    services.verify_enterprise(enterprise=enterprise, officer=officer_a)
    enterprise.refresh_from_db()
    assert enterprise.status == EnterpriseStatus.ACTIVE
    assert enterprise.verified_by == officer_a and enterprise.verified_at is not None
    history = list(enterprise.history.order_by("history_date"))
    assert [(h.status, h.history_user) for h in history] == [("pending", applicant), ("active", officer_a)]
    assert history[-1].history_change_reason == "verify"


def test_an_officer_of_another_park_cannot_decide(applicant, park_a, officer_b):
    enterprise = apply(applicant, park_a)
    with pytest.raises(NotPermitted):
        services.verify_enterprise(enterprise=enterprise, officer=officer_b)
    enterprise.refresh_from_db()
    assert enterprise.status == EnterpriseStatus.PENDING
    assert enterprise.history.count() == 1


def test_the_enterprise_cannot_verify_itself(applicant, park_a):
    enterprise = apply(applicant, park_a)
    with pytest.raises(NotPermitted):
        services.verify_enterprise(enterprise=enterprise, officer=applicant)


def test_the_provincial_officer_may_decide_for_any_park_of_the_province(applicant, park_a, provincial):
    enterprise = apply(applicant, park_a)
    services.verify_enterprise(enterprise=enterprise, officer=provincial)
    assert Enterprise.objects.get(pk=enterprise.pk).status == EnterpriseStatus.ACTIVE


def test_rejection_needs_a_reason_and_keeps_it(applicant, park_a, officer_a):
    enterprise = apply(applicant, park_a)
    with pytest.raises(TransitionNotAllowed):
        services.reject_enterprise(enterprise=enterprise, officer=officer_a, reason="  ")
    services.reject_enterprise(enterprise=enterprise, officer=officer_a, reason="营业执照与信用代码不符")
    enterprise.refresh_from_db()
    assert enterprise.status == EnterpriseStatus.REJECTED
    assert enterprise.status_reason == "营业执照与信用代码不符"
    assert "营业执照" in enterprise.history.latest().history_change_reason


def test_a_rejected_applicant_can_resubmit_and_be_verified(applicant, park_a, officer_a):
    enterprise = apply(applicant, park_a)
    services.reject_enterprise(enterprise=enterprise, officer=officer_a, reason="资料不全")
    services.resubmit_registration(enterprise=enterprise, actor=applicant, note="已补充")
    services.verify_enterprise(enterprise=enterprise, officer=officer_a)
    statuses = list(enterprise.history.order_by("history_date").values_list("status", flat=True))
    assert statuses == ["pending", "rejected", "pending", "active"]


def test_suspension_and_reinstatement(enterprise_x, officer_a):
    services.suspend_enterprise(enterprise=enterprise_x, officer=officer_a, reason="超期贮存危险废物")
    enterprise_x.refresh_from_db()
    assert enterprise_x.status == EnterpriseStatus.SUSPENDED
    services.reinstate_enterprise(enterprise=enterprise_x, officer=officer_a, note="整改完成")
    enterprise_x.refresh_from_db()
    assert enterprise_x.status == EnterpriseStatus.ACTIVE


@pytest.mark.parametrize(
    "status, action",
    [
        ("pending", "suspend"),
        ("active", "verify"),
        ("active", "reject"),
        ("active", "reinstate"),
        ("closed", "verify"),
        ("closed", "reinstate"),
        ("rejected", "suspend"),
    ],
)
def test_transitions_out_of_order_are_refused(enterprise_x, officer_a, status, action):
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status=status)
    with pytest.raises(TransitionNotAllowed):
        services._move(enterprise=enterprise_x, officer=officer_a, action=action, reason="reason")
    assert Enterprise.objects.get(pk=enterprise_x.pk).status == status


def test_a_partial_save_still_moves_the_row_forward_for_sync(enterprise_x, officer_a):
    before = enterprise_x.updated_at
    services.suspend_enterprise(enterprise=enterprise_x, officer=officer_a, reason="检查")
    enterprise_x.refresh_from_db()
    assert enterprise_x.updated_at > before


def test_permit_changes_are_kept_in_history(receiver_r, officer_a):
    permit = receiver_r.permits.get()
    permit.valid_to = permit.valid_to.replace(year=permit.valid_to.year + 1)
    permit._history_user = officer_a
    permit.save()
    assert [h.history_type for h in permit.history.order_by("history_date")] == ["+", "~"]
    assert permit.history.latest().history_user == officer_a


def test_a_refused_step_is_refused_in_the_workflows_one_wording(enterprise_x, officer_a):
    with pytest.raises(TransitionNotAllowed) as refused:
        services.verify_enterprise(enterprise=enterprise_x, officer=officer_a)
    assert refused.value.message == ENTERPRISE_FLOW.refusal(EnterpriseAction.VERIFY, EnterpriseStatus.ACTIVE).message
    assert "Pending verification" in refused.value.message  # the status the step needs


def test_only_a_rejected_registration_can_be_resubmitted(applicant, park_a):
    enterprise = apply(applicant, park_a)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.resubmit_registration(enterprise=enterprise, actor=applicant)
    assert refused.value.message == ENTERPRISE_FLOW.refusal(EnterpriseAction.RESUBMIT, EnterpriseStatus.PENDING).message
    assert enterprise.history.count() == 1
