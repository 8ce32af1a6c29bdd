"""Registry workflows: an enterprise's registration and its verification by the park's officers.

Every change goes through simple_history with the acting user and a reason, so the enterprise's page
can show who registered, verified, rejected or suspended it, and when.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wasteparks.errors import NotPermitted, TransitionNotAllowed

from .models import Enterprise, EnterpriseMembership, EnterpriseRole, EnterpriseStatus, Facility, Park, User
from .rules import ENTERPRISE_FLOW, EnterpriseAction
from .signals import enterprise_verified
from .tenancy import forget_scope, scope_of

S = EnterpriseStatus
A = EnterpriseAction


@dataclass(frozen=True)
class FacilityInput:
    name: str
    kind: str
    capacity_t: Decimal
    cold_store: bool = False


@transaction.atomic
def apply_for_registration(
    *,
    applicant: User,
    park: Park,
    credit_code: str,
    name: str,
    industry_code: str,
    contact_name: str,
    contact_phone: str,
    is_generator: bool,
    is_carrier: bool,
    is_receiver: bool,
    address: str = "",
    contact_email: str = "",
    facilities: Sequence[FacilityInput] = (),
) -> Enterprise:
    """Register an enterprise as pending; the applicant becomes its administrator.

    Validation runs in full (credit code check character, uniqueness, roles) before anything is
    written, and the whole registration is one transaction, so a refused application leaves nothing.
    """
    enterprise = Enterprise(
        park=park,
        credit_code=credit_code,
        name=name,
        industry_code=industry_code,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        is_generator=is_generator,
        is_carrier=is_carrier,
        is_receiver=is_receiver,
        status=S.PENDING,
    )
    enterprise.full_clean()
    enterprise._history_user = applicant
    enterprise._change_reason = _("Registration applied for")
    enterprise.save()
    for item in facilities:
        facility = Facility(
            enterprise=enterprise,
            name=item.name,
            kind=item.kind,
            capacity_t=item.capacity_t,
            cold_store=item.cold_store,
        )
        facility.full_clean()
        facility._history_user = applicant
        facility.save()
    EnterpriseMembership.objects.get_or_create(
        user=applicant, enterprise=enterprise, defaults={"role": EnterpriseRole.ADMIN}
    )
    forget_scope(applicant)
    return enterprise


def _move(*, enterprise: Enterprise, officer: User, action: str, reason: str) -> Enterprise:
    action = EnterpriseAction(action)
    # Lock first: two officers acting on the same application must not both move it.
    enterprise = Enterprise.objects.select_for_update().select_related("park__division").get(pk=enterprise.pk)
    scope_of(officer).require_officer_of(enterprise.park, _("Only an officer of this enterprise's park may do this."))
    transition = ENTERPRISE_FLOW.check(action, enterprise.status)
    reason = reason.strip()
    if transition.reason_required and not reason:
        raise TransitionNotAllowed(_("Give a reason."), code="reason_required", fields={"reason": [_("Required.")]})

    enterprise.status = transition.target_from(enterprise.status)
    enterprise.status_reason = reason
    fields = ["status", "status_reason"]
    if action == A.VERIFY:
        enterprise.verified_by = officer
        enterprise.verified_at = timezone.now()
        fields += ["verified_by", "verified_at"]
    enterprise._history_user = officer
    enterprise._change_reason = f"{action.value}: {reason}" if reason else action.value
    enterprise.save(update_fields=fields)
    return enterprise


@transaction.atomic
def verify_enterprise(*, enterprise: Enterprise, officer: User, note: str = "") -> Enterprise:
    """Verify the registration; its management class is derived in the same transaction (enterprise_verified)."""
    enterprise = _move(enterprise=enterprise, officer=officer, action=A.VERIFY, reason=note)
    enterprise_verified.send(sender=Enterprise, enterprise=enterprise, officer=officer)
    enterprise.refresh_from_db(fields=["management_class", "management_class_overridden"])
    return enterprise


@transaction.atomic
def reject_enterprise(*, enterprise: Enterprise, officer: User, reason: str) -> Enterprise:
    return _move(enterprise=enterprise, officer=officer, action=A.REJECT, reason=reason)


@transaction.atomic
def suspend_enterprise(*, enterprise: Enterprise, officer: User, reason: str) -> Enterprise:
    return _move(enterprise=enterprise, officer=officer, action=A.SUSPEND, reason=reason)


@transaction.atomic
def reinstate_enterprise(*, enterprise: Enterprise, officer: User, note: str = "") -> Enterprise:
    return _move(enterprise=enterprise, officer=officer, action=A.REINSTATE, reason=note)


@transaction.atomic
def close_enterprise(*, enterprise: Enterprise, officer: User, reason: str) -> Enterprise:
    return _move(enterprise=enterprise, officer=officer, action=A.CLOSE, reason=reason)


@transaction.atomic
def resubmit_registration(*, enterprise: Enterprise, actor: User, note: str = "") -> Enterprise:
    """A rejected applicant, having corrected its details, asks for verification again."""
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if not enterprise.is_administered_by(actor):
        raise NotPermitted(_("Only an administrator of this enterprise may resubmit its registration."))
    transition = ENTERPRISE_FLOW.check(A.RESUBMIT, enterprise.status)
    enterprise.full_clean()
    enterprise.status = transition.target_from(enterprise.status)
    enterprise.status_reason = note.strip()
    enterprise._history_user = actor
    enterprise._change_reason = _("Registration resubmitted")
    enterprise.save(update_fields=["status", "status_reason"])
    return enterprise
