"""Early warnings: the officers' lifecycle actions.

open → acknowledged → resolved | dismissed, taken by the officers of the warning's park (a provincial
officer over it too), each step locked, checked against WARNING_FLOW and recorded as a WarningEvent in
the same transaction. Resolving or dismissing needs a note, and keeps the rule from raising the same key
again until its condition has cleared once.
"""

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import OfficerRole, User
from registry.tenancy import scope_of
from wasteparks import webhooks
from wasteparks.errors import RuleViolation
from wasteparks.workflow import Transition, Workflow

from ..models.warnings import LIVE_STATUSES, Warning, WarningAction, WarningClosedReason, WarningEvent, WarningStatus

OFFICER = "officer"
A = WarningAction
S = WarningStatus

# The one table of officer actions: which statuses each may start from, and where it leads.
WARNING_FLOW = Workflow(
    subject=gettext_lazy("warning"),
    statuses=WarningStatus,
    actions=WarningAction,
    transitions={
        A.ACKNOWLEDGE: Transition(
            sources={S.OPEN}, target=S.ACKNOWLEDGED, actor=OFFICER, verb=gettext_lazy("acknowledge")
        ),
        A.ASSIGN: Transition(sources=LIVE_STATUSES, target=None, actor=OFFICER, verb=gettext_lazy("assign")),
        A.RESOLVE: Transition(
            sources=LIVE_STATUSES, target=S.RESOLVED, actor=OFFICER, reason_required=True, verb=gettext_lazy("resolve")
        ),
        A.DISMISS: Transition(
            sources=LIVE_STATUSES, target=S.DISMISSED, actor=OFFICER, reason_required=True, verb=gettext_lazy("dismiss")
        ),
    },
)


def _begin(*, warning: Warning, actor: User, action: str, note: str = "") -> tuple[Warning, str, str]:
    """Lock the warning, check who acts and what the flow allows; (warning, status before, status after)."""
    # Lock first: two officers acting on the same warning must not both move it.
    warning = Warning.objects.select_for_update().select_related("park__division").get(pk=warning.pk)
    scope_of(actor).require_officer_of(warning.park, _("Only the officers of the warning's park may act on it."))
    transition = WARNING_FLOW.check(action, warning.status)
    if transition.reason_required and not note.strip():
        raise RuleViolation(
            _("Give a note saying why the warning is closed."),
            code="note_required",
            fields={"note": [_("Required.")]},
        )
    return warning, warning.status, transition.target_from(warning.status)


def _record(warning: Warning, *, action: str, actor: User, from_status: str, note: str) -> None:
    WarningEvent.objects.create(
        warning=warning,
        action=action,
        from_status=from_status,
        to_status=warning.status,
        actor=actor,
        note=note,
        at=timezone.now(),
    )
    webhooks.publish_warning_changed(warning=warning, action=action)


@transaction.atomic
def acknowledge_warning(*, warning: Warning, actor: User, note: str = "") -> Warning:
    """The officer has seen the warning; it becomes theirs unless someone is already assigned."""
    warning, before, target = _begin(warning=warning, actor=actor, action=A.ACKNOWLEDGE)
    warning.status = target
    if warning.assignee_id is None:
        warning.assignee = actor
    warning.save(update_fields=["status", "assignee"])
    _record(warning, action=A.ACKNOWLEDGE, actor=actor, from_status=before, note=note.strip())
    return warning


def assignable_officers(warning: Warning) -> QuerySet[User]:
    """Who may be handed the warning: the active officers of its park, and the provincial officers over
    it. The one list the page's choice, the API's and the service's check all read."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(jurisdictions__role=OfficerRole.PARK, jurisdictions__park_id=warning.park_id)
            | Q(
                jurisdictions__role=OfficerRole.PROVINCE,
                jurisdictions__province_code=warning.park.division.province_code,
            )
        )
        .distinct()
        .order_by("username")
    )


# Said alike for an account that does not exist and for one that is not an officer here: a refusal must
# not name, or confirm, accounts the officer cannot see.
NOT_ASSIGNABLE = gettext_lazy("Choose an officer of this warning's park.")


@transaction.atomic
def assign_warning(*, warning: Warning, actor: User, assignee: User, note: str = "") -> Warning:
    """Hand the warning to another officer of its park (the status does not change)."""
    warning, before, _target = _begin(warning=warning, actor=actor, action=A.ASSIGN)
    if not assignable_officers(warning).filter(pk=assignee.pk).exists():
        raise RuleViolation(
            str(NOT_ASSIGNABLE), code="assignee_not_officer", fields={"assignee": [str(NOT_ASSIGNABLE)]}
        )
    warning.assignee = assignee
    warning.save(update_fields=["assignee"])
    _record(warning, action=A.ASSIGN, actor=actor, from_status=before, note=note.strip() or str(assignee))
    return warning


def _close(*, warning: Warning, actor: User, note: str, action: str) -> Warning:
    warning, before, target = _begin(warning=warning, actor=actor, action=action, note=note)
    warning.status = target
    warning.closed_at = timezone.now()
    warning.closed_reason = WarningClosedReason.OFFICER
    warning.suppresses = True
    warning.save(update_fields=["status", "closed_at", "closed_reason", "suppresses"])
    _record(warning, action=action, actor=actor, from_status=before, note=note.strip())
    return warning


@transaction.atomic
def resolve_warning(*, warning: Warning, actor: User, note: str) -> Warning:
    """The problem is dealt with; the note says how."""
    return _close(warning=warning, actor=actor, note=note, action=A.RESOLVE)


@transaction.atomic
def dismiss_warning(*, warning: Warning, actor: User, note: str) -> Warning:
    """The warning is not a problem; the note says why."""
    return _close(warning=warning, actor=actor, note=note, action=A.DISMISS)
