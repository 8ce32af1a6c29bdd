"""Early warnings: the engine, the officers' lifecycle actions and the notifications.

Engine. `run_rules()` evaluates rules (all, or the manifest rules for one manifest) and, per rule, in
one transaction:
- inserts a warning for each finding whose key has no live warning (INSERT ... ON CONFLICT DO NOTHING
  against the partial unique index on live dedup keys: a concurrent scan's insert simply loses),
- escalates a live warning whose finding is now more severe,
- closes automatically (resolved, reason "auto") the live warnings the rule no longer finds,
- skips keys an officer resolved or dismissed until their condition has cleared once.
New and escalated critical warnings are mailed at once, after commit.

Lifecycle: open → acknowledged → resolved | dismissed (officers of the warning's park, with a note),
every step recorded as a WarningEvent.

Notifications: a WarningNotification row per (warning, address), written in the transaction that sends
the mail; critical warnings go out at once to the park's officers and the enterprise's contacts; the
rest in one daily digest per address. Nobody is told about the same warning twice.
"""

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import EnterpriseMembership, EnterpriseRole, JurisdictionMembership, OfficerRole, User
from registry.tenancy import scope_of
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed

from ..models.warnings import (
    LIVE_STATUSES,
    SEVERITY_RANK,
    Severity,
    Warning,
    WarningClosedReason,
    WarningEvent,
    WarningNotification,
    WarningNotificationKind,
    WarningStatus,
)
from ..rules.warnings import MANIFEST_RULES, RULES, Context, Finding, Rule

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    raised: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)

    def extend(self, other: "RunResult") -> None:
        self.raised += other.raised
        self.escalated += other.escalated
        self.closed += other.closed

    def as_dict(self) -> dict:
        return {"raised": len(self.raised), "escalated": len(self.escalated), "closed": len(self.closed)}


# --- the engine -----------------------------------------------------------------------------------


def run_rules(
    *, rules: tuple[Rule, ...] | None = None, now: datetime | None = None, manifest_id: int | None = None
) -> RunResult:
    """Evaluate rules and bring the warnings in line with their findings (see the module docstring)."""
    ctx = Context(now=now or timezone.now(), manifest_id=manifest_id)
    if rules is None:
        rules = MANIFEST_RULES if manifest_id is not None else RULES
    result = RunResult()
    for rule in rules:
        if manifest_id is not None and not rule.manifest_scoped:
            continue
        result.extend(apply_rule(rule=rule, ctx=ctx))
    return result


def check_manifest(*, manifest_id: int, now: datetime | None = None) -> RunResult:
    return run_rules(manifest_id=manifest_id, now=now)


def _warning_from(rule: Rule, finding: Finding, now: datetime) -> Warning:
    message_zh, message_en = rule.render(finding)
    return Warning(
        rule=rule.code,
        severity=finding.severity or rule.severity,
        park_id=finding.park_id,
        enterprise_id=finding.enterprise_id,
        manifest_id=finding.manifest_id,
        permit_id=finding.permit_id,
        facility_id=finding.facility_id,
        approval_id=finding.approval_id,
        report_id=finding.report_id,
        message_zh=message_zh,
        message_en=message_en,
        evidence=finding.evidence,
        dedup_key=finding.dedup_key,
        status=WarningStatus.OPEN,
        raised_at=now,
    )


@transaction.atomic
def apply_rule(*, rule: Rule, ctx: Context) -> RunResult:
    now = ctx.now
    findings: dict[str, Finding] = {}
    for finding in rule.findings(ctx):
        known = findings.get(finding.dedup_key)
        severity = finding.severity or rule.severity
        if known is None or SEVERITY_RANK[severity] > SEVERITY_RANK[known.severity or rule.severity]:
            findings[finding.dedup_key] = finding

    mine = Warning.objects.filter(Q(rule=rule.code) & rule.closing_scope(ctx))
    # Lock the live warnings this run answers for: a concurrent scan waits, then sees what this one did.
    live = {w.dedup_key: w for w in mine.filter(status__in=LIVE_STATUSES).select_for_update().order_by("pk")}
    suppressed = set(mine.filter(suppresses=True).values_list("dedup_key", flat=True))
    cleared = suppressed - set(findings)
    if cleared:
        mine.filter(suppresses=True, dedup_key__in=cleared).update(suppresses=False, updated_at=now)

    result = RunResult()
    new = [
        _warning_from(rule, finding, now)
        for key, finding in findings.items()
        if key not in live and key not in suppressed
    ]
    if new:
        Warning.objects.bulk_create(new, ignore_conflicts=True)
        # Ours are the rows with this run's timestamp; a key a concurrent scan raised first is not among them.
        raised = list(
            Warning.objects.filter(
                rule=rule.code, dedup_key__in=[w.dedup_key for w in new], raised_at=now, status=WarningStatus.OPEN
            ).values_list("pk", "severity")
        )
        WarningEvent.objects.bulk_create(
            [WarningEvent(warning_id=pk, action="raised", to_status=WarningStatus.OPEN, at=now) for pk, _ in raised]
        )
        result.raised = [pk for pk, _ in raised]
        _notify_on_commit([pk for pk, severity in raised if severity == Severity.CRITICAL])

    escalated = []
    for key, warning in live.items():
        finding = findings.get(key)
        if finding is None:
            continue
        severity = finding.severity or rule.severity
        if SEVERITY_RANK[severity] > SEVERITY_RANK[warning.severity]:
            fresh = _warning_from(rule, finding, now)
            warning.severity = severity
            warning.message_zh, warning.message_en, warning.evidence = (
                fresh.message_zh,
                fresh.message_en,
                fresh.evidence,
            )
            warning.save(update_fields=["severity", "message_zh", "message_en", "evidence"])
            WarningEvent.objects.create(
                warning=warning,
                action="escalated",
                from_status=warning.status,
                to_status=warning.status,
                note=_("Severity raised to %(severity)s.") % {"severity": warning.get_severity_display()},
                at=now,
            )
            escalated.append(warning)
    result.escalated = [w.pk for w in escalated]
    _notify_on_commit([w.pk for w in escalated if w.severity == Severity.CRITICAL])

    gone = [warning for key, warning in live.items() if key not in findings]
    if gone:
        Warning.objects.filter(pk__in=[w.pk for w in gone]).update(
            status=WarningStatus.RESOLVED, closed_at=now, closed_reason=WarningClosedReason.AUTO, updated_at=now
        )
        WarningEvent.objects.bulk_create(
            [
                WarningEvent(
                    warning_id=w.pk,
                    action="auto_closed",
                    from_status=w.status,
                    to_status=WarningStatus.RESOLVED,
                    note=_("The condition cleared; closed automatically."),
                    at=now,
                )
                for w in gone
            ]
        )
        result.closed = [w.pk for w in gone]
    return result


def _notify_on_commit(warning_ids: list[int]) -> None:
    if not warning_ids:
        return
    from wasteparks import outbox

    from ..tasks.warnings import notify_warning

    for pk in warning_ids:
        outbox.enqueue(notify_warning, pk)


# --- lifecycle ------------------------------------------------------------------------------------

# The one table of officer actions: which statuses each may start from, and where it leads.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "acknowledge": (frozenset({WarningStatus.OPEN}), WarningStatus.ACKNOWLEDGED),
    "assign": (frozenset(LIVE_STATUSES), None),  # None: the status does not change
    "resolve": (frozenset(LIVE_STATUSES), WarningStatus.RESOLVED),
    "dismiss": (frozenset(LIVE_STATUSES), WarningStatus.DISMISSED),
}


def _check_officer(actor: User, warning: Warning) -> None:
    if not scope_of(actor).supervises_park(warning.park):
        raise NotPermitted(_("Only the officers of the warning's park may act on it."))


def _begin(*, warning: Warning, actor: User, action: str) -> tuple[Warning, str, str]:
    warning = Warning.objects.select_for_update().select_related("park__division").get(pk=warning.pk)
    _check_officer(actor, warning)
    sources, target = TRANSITIONS[action]
    if warning.status not in sources:
        raise TransitionNotAllowed(
            _("A %(status)s warning cannot be %(action)s.")
            % {"status": warning.get_status_display().lower(), "action": _ACTION_PAST[action]}
        )
    return warning, warning.status, target or warning.status


_ACTION_PAST = {"acknowledge": "acknowledged", "assign": "assigned", "resolve": "resolved", "dismiss": "dismissed"}


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


@transaction.atomic
def acknowledge_warning(*, warning: Warning, actor: User, note: str = "") -> Warning:
    warning, before, target = _begin(warning=warning, actor=actor, action="acknowledge")
    warning.status = target
    if warning.assignee_id is None:
        warning.assignee = actor
    warning.save(update_fields=["status", "assignee"])
    _record(warning, action="acknowledge", actor=actor, from_status=before, note=note.strip())
    return warning


@transaction.atomic
def assign_warning(*, warning: Warning, actor: User, assignee: User, note: str = "") -> Warning:
    warning, before, _target = _begin(warning=warning, actor=actor, action="assign")
    if not scope_of(assignee).supervises_park(warning.park) or scope_of(assignee).read_only:
        raise RuleViolation(
            _("%(user)s is not an officer of %(park)s.") % {"user": assignee, "park": warning.park},
            code="assignee_not_officer",
            fields={"assignee": [_("Choose an officer of the warning's park.")]},
        )
    warning.assignee = assignee
    warning.save(update_fields=["assignee"])
    _record(warning, action="assign", actor=actor, from_status=before, note=note.strip() or str(assignee))
    return warning


def _close(*, warning: Warning, actor: User, note: str, action: str) -> Warning:
    if not note.strip():
        raise RuleViolation(
            _("Give a note saying why the warning is %(action)s.") % {"action": _ACTION_PAST[action]},
            code="note_required",
            fields={"note": [_("Required.")]},
        )
    warning, before, target = _begin(warning=warning, actor=actor, action=action)
    warning.status = target
    warning.closed_at = timezone.now()
    warning.closed_reason = WarningClosedReason.OFFICER
    warning.suppresses = True
    warning.save(update_fields=["status", "closed_at", "closed_reason", "suppresses"])
    _record(warning, action=action, actor=actor, from_status=before, note=note.strip())
    return warning


@transaction.atomic
def resolve_warning(*, warning: Warning, actor: User, note: str) -> Warning:
    return _close(warning=warning, actor=actor, note=note, action="resolve")


@transaction.atomic
def dismiss_warning(*, warning: Warning, actor: User, note: str) -> Warning:
    return _close(warning=warning, actor=actor, note=note, action="dismiss")


# --- notifications --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    email: str
    user_id: int | None


def _recipients(warnings: list[Warning]) -> dict[int, set[Recipient]]:
    """Per warning: the officers of its park, and the contacts of its enterprise (the contact address
    and the administrators and preparers). Three queries whatever the number of warnings."""
    park_ids = {w.park_id for w in warnings}
    enterprise_ids = {w.enterprise_id for w in warnings if w.enterprise_id}
    officers = defaultdict(set)
    for park_id, user_id, email in (
        JurisdictionMembership.objects.filter(role=OfficerRole.PARK, park_id__in=park_ids, user__is_active=True)
        .exclude(user__email="")
        .values_list("park_id", "user_id", "user__email")
    ):
        officers[park_id].add(Recipient(email.lower(), user_id))
    contacts = defaultdict(set)
    for enterprise_id, user_id, email in (
        EnterpriseMembership.objects.filter(
            enterprise_id__in=enterprise_ids,
            role__in=(EnterpriseRole.ADMIN, EnterpriseRole.PREPARER),
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("enterprise_id", "user_id", "user__email")
    ):
        contacts[enterprise_id].add(Recipient(email.lower(), user_id))
    from registry.models import Enterprise

    for enterprise_id, email in (
        Enterprise.objects.filter(pk__in=enterprise_ids).exclude(contact_email="").values_list("pk", "contact_email")
    ):
        if not any(r.email == email.lower() for r in contacts[enterprise_id]):
            contacts[enterprise_id].add(Recipient(email.lower(), None))
    return {w.pk: officers[w.park_id] | (contacts[w.enterprise_id] if w.enterprise_id else set()) for w in warnings}


def _send(*, recipient: Recipient, warnings: list[Warning], kind: str, now: datetime) -> int:
    """Claim (recipient, warning) pairs and send one mail about the claimed ones, in one transaction:
    a concurrent run waits on the claims and then finds nothing left; a failed send leaves no claim."""
    batch = uuid.uuid4()
    with transaction.atomic():
        WarningNotification.objects.bulk_create(
            [
                WarningNotification(
                    warning_id=w.pk,
                    email=recipient.email,
                    user_id=recipient.user_id,
                    kind=kind,
                    batch=batch,
                    sent_at=now,
                )
                for w in warnings
            ],
            ignore_conflicts=True,
        )
        claimed = set(WarningNotification.objects.filter(batch=batch).values_list("warning_id", flat=True))
        mine = [w for w in warnings if w.pk in claimed]
        if not mine:
            return 0
        subject, body = _compose(mine, kind=kind)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
    return len(mine)


def _compose(warnings: list[Warning], *, kind: str) -> tuple[str, str]:
    lines = []
    for w in warnings:
        lines.append(f"[{w.get_severity_display()}] {w.rule} · {w.park.name}")
        lines.append(f"  {w.message_zh}")
        lines.append(f"  {w.message_en}")
        lines.append("")
    if kind == WarningNotificationKind.IMMEDIATE and len(warnings) == 1:
        subject = f"[wasteparks] 严重预警 / Critical warning: {warnings[0].message_en}"[:200]
    else:
        subject = f"[wasteparks] 预警日报 / Daily warning digest: {len(warnings)}"
    return subject, "\n".join(lines)


def notify_immediately(*, warning_id: int, now: datetime | None = None) -> int:
    """Mail a critical live warning to everyone concerned who has not been told about it. Returns the
    number of mails sent."""
    warning = Warning.objects.select_related("park").filter(pk=warning_id).first()
    if warning is None or warning.severity != Severity.CRITICAL or not warning.is_live:
        return 0
    now = now or timezone.now()
    sent = 0
    for recipient in sorted(_recipients([warning])[warning.pk], key=lambda r: r.email):
        sent += bool(_send(recipient=recipient, warnings=[warning], kind=WarningNotificationKind.IMMEDIATE, now=now))
    return sent


def send_daily_digest(*, now: datetime | None = None) -> int:
    """One mail per address listing the live warnings it has not been told about. Returns mails sent."""
    now = now or timezone.now()
    warnings = list(Warning.objects.live().select_related("park").order_by("park_id", "-severity", "raised_at", "pk"))
    if not warnings:
        return 0
    told = set(
        WarningNotification.objects.filter(warning__in=[w.pk for w in warnings]).values_list("warning_id", "email")
    )
    by_recipient: dict[Recipient, list[Warning]] = defaultdict(list)
    for warning_pk, recipients in _recipients(warnings).items():
        for recipient in recipients:
            if (warning_pk, recipient.email) not in told:
                by_recipient[recipient].append(warning_pk)
    by_pk = {w.pk: w for w in warnings}
    sent = 0
    for recipient in sorted(by_recipient, key=lambda r: r.email):
        items = [by_pk[pk] for pk in sorted(by_recipient[recipient])]
        sent += bool(_send(recipient=recipient, warnings=items, kind=WarningNotificationKind.DIGEST, now=now))
    return sent
