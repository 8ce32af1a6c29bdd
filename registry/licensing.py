"""Registry workflows for licences: permits (operating licences, road transport and medical waste disposal
permits) and cross-province transfer approvals.

Two ways in: an officer records a licence from the paper copy (it counts once verified), or an enterprise
applies for one (it counts once an officer grants it and writes the number issued). Then officers
suspend, reinstate, revoke and, for permits, renew. PERMIT_FLOW and APPROVAL_FLOW (registry/rules.py) say
which step is open in which status; every step writes the acting user and the reason to the licence's
history (django-simple-history), as an enterprise's registration does.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed

from .models import (
    Enterprise,
    EnterpriseStatus,
    ManagementMethod,
    MethodKind,
    Permit,
    PermitKind,
    PermitLine,
    TransferApproval,
    User,
    WasteCategory,
    WasteCode,
)
from .rules import APPROVAL_FLOW, PERMIT_FLOW, LicenceAction, LicenceStatus
from .tenancy import scope_of

S = LicenceStatus
A = LicenceAction
# django-simple-history keeps at most 100 characters of a change reason; the full reason is status_reason.
CHANGE_REASON_MAX = 100
# Which activity of a licence a line's method needs.
ACTIVITY_OF_METHOD: dict[str, str] = {
    MethodKind.UTILIZATION: "covers_utilization",
    MethodKind.DISPOSAL: "covers_disposal",
    MethodKind.STORAGE: "covers_storage",
}
CLOSED_STATUSES = frozenset({EnterpriseStatus.REJECTED, EnterpriseStatus.SUSPENDED, EnterpriseStatus.CLOSED})


@dataclass(frozen=True)
class LineInput:
    """One line of a licence: a waste code or a whole category, a method and an annual capacity."""

    method: ManagementMethod
    annual_capacity_t: Decimal
    waste_code: WasteCode | None = None
    category: WasteCategory | None = None


@dataclass(frozen=True)
class Activities:
    collection: bool = False
    storage: bool = False
    utilization: bool = False
    disposal: bool = False


def _number_required() -> RuleViolation:
    return RuleViolation(_("Give the number issued."), code="number_required", fields={"number": [_("Required.")]})


def _reason(text: str) -> str:
    return text[:CHANGE_REASON_MAX]


def _check_officer(officer: User, enterprise: Enterprise) -> None:
    scope_of(officer).require_officer_of(
        enterprise.park, _("Only an officer of this enterprise's park may record or decide its licences.")
    )


def _check_applicant(applicant: User, enterprise: Enterprise) -> None:
    if not enterprise.is_administered_by(applicant):
        raise NotPermitted(
            _("Only an administrator of %(name)s may apply for its licences.") % {"name": enterprise.name}
        )
    if enterprise.status in CLOSED_STATUSES:
        raise NotPermitted(
            _("%(name)s is “%(status)s” and may not apply for a licence.")
            % {"name": enterprise.name, "status": enterprise.get_status_display()},
            code="enterprise_not_active",
        )


def _check_number_free(*, kind: str, number: str, exclude_pk: int | None = None) -> None:
    taken = Permit.objects.filter(kind=kind, number=number)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise RuleViolation(
            _("A permit of this kind numbered %(number)s is already recorded.") % {"number": number},
            code="number_taken",
            fields={"number": [_("Already recorded.")]},
        )


def _check_kind_and_lines(*, enterprise: Enterprise, kind: str, activities: Activities, lines: Sequence[LineInput]):
    """A road transport permit belongs to a carrier and has no waste lines; an operating or medical
    disposal licence belongs to a receiver, names at least one line, and each line's method is one of the
    licensed activities."""
    if kind == PermitKind.ROAD_TRANSPORT:
        if not enterprise.is_carrier:
            raise RuleViolation(
                _("A road transport permit is held by a carrier; %(name)s is not registered as one.")
                % {"name": enterprise.name},
                code="kind_not_of_role",
                fields={"kind": [_("Not a carrier.")]},
            )
        if lines:
            raise RuleViolation(
                _("A road transport permit names no waste codes or methods."),
                code="lines_not_allowed",
                fields={"lines": [_("Leave the lines empty.")]},
            )
        return
    if not enterprise.is_receiver:
        raise RuleViolation(
            _("An operating or disposal licence is held by a receiver; %(name)s is not registered as one.")
            % {"name": enterprise.name},
            code="kind_not_of_role",
            fields={"kind": [_("Not a receiver.")]},
        )
    if not lines:
        raise RuleViolation(
            _("Name at least one line: the waste code or category, the method and the annual capacity."),
            code="lines_required",
            fields={"lines": [_("At least one line.")]},
        )
    for number, line in enumerate(lines, start=1):
        if (line.waste_code is None) == (line.category is None):
            raise RuleViolation(
                _("A permit line names either a waste code or a category, not both."),
                code="invalid_line",
                fields={f"lines.{number}": [_("A waste code or a category.")]},
            )
        activity = ACTIVITY_OF_METHOD.get(line.method.kind)
        if activity and not getattr(activities, activity.removeprefix("covers_")):
            raise RuleViolation(
                _("Line %(line)s: method %(method)s is %(kind)s, which the licence does not cover.")
                % {"line": number, "method": line.method.code, "kind": line.method.get_kind_display()},
                code="method_not_licensed",
                fields={f"lines.{number}": [_("Tick the activity or choose another method.")]},
            )
        if line.annual_capacity_t < 0:
            raise RuleViolation(
                _("Capacity cannot be negative."),
                code="invalid_line",
                fields={f"lines.{number}": [_("Capacity cannot be negative.")]},
            )


def _save_permit(
    *,
    actor: User,
    enterprise: Enterprise,
    kind: str,
    number: str,
    issuer: str,
    valid_from: date,
    valid_to: date,
    activities: Activities,
    lines: Sequence[LineInput],
    status: str,
    reason: str,
    note: str = "",
    renews: Permit | None = None,
) -> Permit:
    _check_kind_and_lines(enterprise=enterprise, kind=kind, activities=activities, lines=lines)
    if number:
        _check_number_free(kind=kind, number=number)
    permit = Permit(
        enterprise=enterprise,
        kind=kind,
        number=number,
        issuer=issuer.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        covers_collection=activities.collection,
        covers_storage=activities.storage,
        covers_utilization=activities.utilization,
        covers_disposal=activities.disposal,
        status=status,
        status_reason=note.strip(),
        renews=renews,
    )
    if status == S.VALID:
        permit.decided_by, permit.decided_at = actor, timezone.now()
    # The model's own checks: dates in order, the licence term (art. 12 of the Measures).
    permit.full_clean(exclude=["number"] if not number else None, validate_constraints=False)
    permit._history_user = actor
    permit._change_reason = _reason(reason)
    permit.save()
    for line in lines:
        row = PermitLine(
            permit=permit,
            waste_code=line.waste_code,
            category=line.category,
            method=line.method,
            annual_capacity_t=line.annual_capacity_t,
        )
        row._history_user = actor
        row.save()
    return permit


@transaction.atomic
def record_permit(
    *,
    officer: User,
    enterprise: Enterprise,
    kind: str,
    number: str,
    issuer: str,
    valid_from: date,
    valid_to: date,
    activities: Activities,
    lines: Sequence[LineInput],
    note: str = "",
) -> Permit:
    """An officer types in a licence from the paper copy. It covers nothing until verified."""
    enterprise = Enterprise.objects.select_related("park__division").get(pk=enterprise.pk)
    _check_officer(officer, enterprise)
    if not number.strip():
        raise _number_required()
    return _save_permit(
        actor=officer,
        enterprise=enterprise,
        kind=kind,
        number=number.strip(),
        issuer=issuer,
        valid_from=valid_from,
        valid_to=valid_to,
        activities=activities,
        lines=lines,
        status=S.PENDING,
        reason=_("Recorded from the paper licence"),
        note=note,
    )


@transaction.atomic
def apply_for_permit(
    *,
    applicant: User,
    enterprise: Enterprise,
    kind: str,
    issuer: str,
    valid_from: date,
    valid_to: date,
    activities: Activities,
    lines: Sequence[LineInput],
    note: str = "",
) -> Permit:
    """An enterprise's administrator applies; the park's officers grant it (with the number issued) or
    refuse it."""
    enterprise = Enterprise.objects.select_for_update().select_related("park__division").get(pk=enterprise.pk)
    _check_applicant(applicant, enterprise)
    return _save_permit(
        actor=applicant,
        enterprise=enterprise,
        kind=kind,
        number="",
        issuer=issuer,
        valid_from=valid_from,
        valid_to=valid_to,
        activities=activities,
        lines=lines,
        status=S.APPLIED,
        reason=_("Applied for"),
        note=note,
    )


def _decide(*, flow, subject, officer: User, action: str, reason: str, number: str, fields: list[str]):
    """Move `subject` (locked) by `action`: the workflow says whether its status allows it (409 if not)."""
    transition = flow.check(action, subject.status)
    reason = reason.strip()
    if transition.reason_required and not reason:
        raise TransitionNotAllowed(_("Give a reason."), code="reason_required", fields={"reason": [_("Required.")]})
    if action == A.GRANT:
        if not number.strip():
            raise _number_required()
        subject.number = number.strip()
        fields.append("number")
    subject.status = transition.target_from(subject.status)
    subject.status_reason = reason
    fields += ["status", "status_reason"]
    if action in (A.VERIFY, A.GRANT, A.REFUSE):
        subject.decided_by, subject.decided_at = officer, timezone.now()
        fields += ["decided_by", "decided_at"]
    label = flow.action_label(action)
    subject._history_user = officer
    subject._change_reason = _reason(f"{label}: {reason}" if reason else label)
    return fields


@transaction.atomic
def decide_permit(*, permit: Permit, officer: User, action: str, reason: str = "", number: str = "") -> Permit:
    """Verify a recorded licence, grant or refuse an application, suspend, reinstate or revoke."""
    action = LicenceAction(action)
    if action == A.RENEW:
        raise ValueError("renew_permit renews a permit")
    # Lock first: two officers deciding the same application must not both move it.
    permit = Permit.objects.select_for_update().get(pk=permit.pk)
    enterprise = Enterprise.objects.select_related("park__division").get(pk=permit.enterprise_id)
    _check_officer(officer, enterprise)
    fields = _decide(flow=PERMIT_FLOW, subject=permit, officer=officer, action=action, reason=reason, number=number,
                     fields=[])  # fmt: skip
    if action == A.GRANT:
        _check_number_free(kind=permit.kind, number=permit.number, exclude_pk=permit.pk)
    if action == A.REVOKE:
        permit.revoked_at = timezone.now()
        fields.append("revoked_at")
    if action == A.REINSTATE:
        permit.revoked_at = None
        fields.append("revoked_at")
    permit.save(update_fields=fields)
    return permit


@transaction.atomic
def renew_permit(
    *, permit: Permit, officer: User, number: str, valid_from: date, valid_to: date, issuer: str = "", reason: str = ""
) -> Permit:
    """Record the renewed licence (延续): a new permit with the same activities and lines, valid at once.

    The old licence stays in the record for the period it covered; where the renewal starts before the old
    one ends, the old one ends the day before, so one day is never covered twice."""
    old = Permit.objects.select_for_update().get(pk=permit.pk)
    enterprise = Enterprise.objects.select_related("park__division").get(pk=old.enterprise_id)
    _check_officer(officer, enterprise)
    PERMIT_FLOW.check(A.RENEW, old.status)
    if Permit.objects.filter(renews=old).exists():
        raise TransitionNotAllowed(_("This permit has already been renewed."), code="already_renewed")
    if valid_from <= old.valid_from or valid_to <= old.valid_to:
        raise RuleViolation(
            _("A renewal starts after the licence it renews started and ends after it ended (%(start)s – %(end)s).")
            % {"start": old.valid_from, "end": old.valid_to},
            code="renewal_dates",
            fields={"valid_from": [_("After %(day)s.") % {"day": old.valid_from}]},
        )
    if not number.strip():
        raise _number_required()
    lines = [
        LineInput(
            method=line.method,
            annual_capacity_t=line.annual_capacity_t,
            waste_code=line.waste_code,
            category=line.category,
        )
        for line in old.lines.select_related("method", "waste_code", "category").order_by("pk")
    ]
    renewed = _save_permit(
        actor=officer,
        enterprise=enterprise,
        kind=old.kind,
        number=number.strip(),
        issuer=issuer or old.issuer,
        valid_from=valid_from,
        valid_to=valid_to,
        activities=Activities(
            collection=old.covers_collection,
            storage=old.covers_storage,
            utilization=old.covers_utilization,
            disposal=old.covers_disposal,
        ),
        lines=lines,
        status=S.VALID,
        reason=_("Renewal of %(number)s") % {"number": old.number},
        note=reason,
        renews=old,
    )
    if valid_from <= old.valid_to:
        old.valid_to = valid_from - timedelta(days=1)
        old._history_user = officer
        old._change_reason = _reason(_("Renewed by %(number)s") % {"number": renewed.number})
        old.save(update_fields=["valid_to"])
    return renewed


# --- cross-province transfer approvals ------------------------------------------------------------


def _save_approval(*, actor: User, status: str, reason: str, **values) -> TransferApproval:
    number = values.get("number", "")
    if number and TransferApproval.objects.filter(number=number).exists():
        raise RuleViolation(
            _("An approval numbered %(number)s is already recorded.") % {"number": number},
            code="number_taken",
            fields={"number": [_("Already recorded.")]},
        )
    approval = TransferApproval(status=status, **values)
    if status == S.VALID:
        approval.decided_by, approval.decided_at = actor, timezone.now()
    # The model's own checks: dates in order, 12 months at most.
    approval.full_clean(exclude=["number"] if not number else None, validate_constraints=False)
    approval._history_user = actor
    approval._change_reason = _reason(reason)
    approval.save()
    return approval


def _check_cross_province(consignor: Enterprise, receiver: Enterprise) -> None:
    if consignor.park.division.province_code == receiver.park.division.province_code:
        raise RuleViolation(
            _("%(consignor)s and %(receiver)s are in the same province: no cross-province approval is needed.")
            % {"consignor": consignor.name, "receiver": receiver.name},
            code="not_cross_province",
            fields={"receiver": [_("Choose a receiver in another province.")]},
        )


def _parties(consignor: Enterprise, receiver: Enterprise) -> tuple[Enterprise, Enterprise]:
    parties = Enterprise.objects.select_related("park__division").in_bulk([consignor.pk, receiver.pk])
    return parties[consignor.pk], parties[receiver.pk]


@transaction.atomic
def record_approval(
    *,
    officer: User,
    consignor: Enterprise,
    receiver: Enterprise,
    waste_code: WasteCode,
    approved_quantity_t: Decimal,
    number: str,
    issuer: str,
    valid_from: date,
    valid_to: date,
    note: str = "",
) -> TransferApproval:
    """An officer of the consignor's park types in an approval from the paper copy; it counts once verified."""
    consignor, receiver = _parties(consignor, receiver)
    _check_officer(officer, consignor)
    _check_cross_province(consignor, receiver)
    if not number.strip():
        raise _number_required()
    return _save_approval(
        actor=officer,
        status=S.PENDING,
        reason=_("Recorded from the paper approval"),
        consignor=consignor,
        receiver=receiver,
        waste_code=waste_code,
        approved_quantity_t=approved_quantity_t,
        number=number.strip(),
        issuer=issuer.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        status_reason=note.strip(),
    )


@transaction.atomic
def apply_for_approval(
    *,
    applicant: User,
    consignor: Enterprise,
    receiver: Enterprise,
    waste_code: WasteCode,
    approved_quantity_t: Decimal,
    valid_from: date,
    valid_to: date,
    issuer: str = "",
    note: str = "",
) -> TransferApproval:
    """The consignor's administrator applies for a cross-province transfer; the officers of its park
    grant it (with the number issued) or refuse it."""
    consignor, receiver = _parties(consignor, receiver)
    _check_applicant(applicant, consignor)
    _check_cross_province(consignor, receiver)
    return _save_approval(
        actor=applicant,
        status=S.APPLIED,
        reason=_("Applied for"),
        consignor=consignor,
        receiver=receiver,
        waste_code=waste_code,
        approved_quantity_t=approved_quantity_t,
        number="",
        issuer=issuer.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        status_reason=note.strip(),
    )


@transaction.atomic
def decide_approval(
    *, approval: TransferApproval, officer: User, action: str, reason: str = "", number: str = ""
) -> TransferApproval:
    """Verify a recorded approval, grant or refuse an application, suspend, reinstate or revoke. The
    officers of the consignor's park decide (the province the waste leaves approves the transfer)."""
    action = LicenceAction(action)
    approval = TransferApproval.objects.select_for_update().get(pk=approval.pk)
    consignor = Enterprise.objects.select_related("park__division").get(pk=approval.consignor_id)
    _check_officer(officer, consignor)
    fields = _decide(flow=APPROVAL_FLOW, subject=approval, officer=officer, action=action, reason=reason,
                     number=number, fields=[])  # fmt: skip
    if action == A.GRANT and TransferApproval.objects.filter(number=approval.number).exclude(pk=approval.pk).exists():
        raise RuleViolation(
            _("An approval numbered %(number)s is already recorded.") % {"number": approval.number},
            code="number_taken",
            fields={"number": [_("Already recorded.")]},
        )
    approval.save(update_fields=fields)
    return approval
