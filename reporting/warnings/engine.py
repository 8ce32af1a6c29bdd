"""Early warnings: the engine that turns the rules' findings into warnings.

`run_rules()` evaluates rules (all, or the manifest rules for one manifest) and, per rule, in one
transaction (`apply_rule`):
- inserts a warning for each finding whose key has no live warning (INSERT ... ON CONFLICT DO NOTHING
  against the partial unique index on live dedup keys: a concurrent scan's insert simply loses),
- escalates a live warning whose finding is now more severe,
- closes automatically (resolved, reason "auto") the live warnings the rule no longer finds, unless the
  rule leaves that to the officers (`closes_itself`),
- skips keys an officer resolved or dismissed until their condition has cleared once.
New and escalated critical warnings are mailed at once, through the outbox, after commit.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wasteparks import webhooks

from ..models.warnings import (
    LIVE_STATUSES,
    SEVERITY_RANK,
    Severity,
    Warning,
    WarningAction,
    WarningClosedReason,
    WarningEvent,
    WarningStatus,
)
from .base import Context, Finding, Rule
from .rules import MANIFEST_RULES, RULES


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
    """The manifest rules for one manifest (after a transfer service touched it)."""
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
    """One rule's findings against its live warnings: raise, escalate, close (one transaction)."""
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
            [
                WarningEvent(warning_id=pk, action=WarningAction.RAISED, to_status=WarningStatus.OPEN, at=now)
                for pk, _severity in raised
            ]
        )
        result.raised = [pk for pk, _severity in raised]
        _notify_on_commit([pk for pk, severity in raised if severity == Severity.CRITICAL])
        webhooks.publish_warnings_changed(
            warnings=Warning.objects.filter(pk__in=result.raised), action=WarningAction.RAISED
        )

    escalated = []
    for key, warning in live.items():
        found = findings.get(key)
        if found is None:
            continue
        severity = found.severity or rule.severity
        if SEVERITY_RANK[severity] > SEVERITY_RANK[warning.severity]:
            fresh = _warning_from(rule, found, now)
            warning.severity = severity
            warning.message_zh, warning.message_en, warning.evidence = (
                fresh.message_zh,
                fresh.message_en,
                fresh.evidence,
            )
            warning.save(update_fields=["severity", "message_zh", "message_en", "evidence"])
            WarningEvent.objects.create(
                warning=warning,
                action=WarningAction.ESCALATED,
                from_status=warning.status,
                to_status=warning.status,
                note=_("Severity raised to %(severity)s.") % {"severity": warning.get_severity_display()},
                at=now,
            )
            escalated.append(warning)
    result.escalated = [w.pk for w in escalated]
    _notify_on_commit([w.pk for w in escalated if w.severity == Severity.CRITICAL])
    if escalated:
        webhooks.publish_warnings_changed(
            warnings=Warning.objects.filter(pk__in=result.escalated), action=WarningAction.ESCALATED
        )

    gone = [warning for key, warning in live.items() if key not in findings] if rule.closes_itself else []
    if gone:
        Warning.objects.filter(pk__in=[w.pk for w in gone]).update(
            status=WarningStatus.RESOLVED, closed_at=now, closed_reason=WarningClosedReason.AUTO, updated_at=now
        )
        WarningEvent.objects.bulk_create(
            [
                WarningEvent(
                    warning_id=w.pk,
                    action=WarningAction.AUTO_CLOSED,
                    from_status=w.status,
                    to_status=WarningStatus.RESOLVED,
                    note=_("The condition cleared; closed automatically."),
                    at=now,
                )
                for w in gone
            ]
        )
        result.closed = [w.pk for w in gone]
        webhooks.publish_warnings_changed(
            warnings=Warning.objects.filter(pk__in=result.closed), action=WarningAction.AUTO_CLOSED
        )
    return result


def _notify_on_commit(warning_ids: list[int]) -> None:
    if not warning_ids:
        return
    # Imported here: the tasks module imports the engine.
    from wasteparks import outbox

    from ..tasks.warnings import notify_warning

    for pk in warning_ids:
        outbox.enqueue(notify_warning, pk)
    # The inbox entries are written here too, in the transaction that raised the warnings.
    from .notifications import put_in_inboxes

    put_in_inboxes(warning_ids=warning_ids)
