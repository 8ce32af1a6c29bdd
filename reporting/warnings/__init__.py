"""Early warnings (DESIGN 6): the rules, the engine that raises and closes warnings, the officers'
lifecycle actions and the mails.

    base.py           Context, Finding, Rule: what every rule is built from
    manifests.py      overdue loads, quantity discrepancies, permit coverage, cross-province approvals
    stock.py          stock stored too long, storage facilities filling up
    permits.py        permits expiring, licensed annual capacity exceeded
    figures.py        utilization below target, generation anomalies
    reports.py        monthly reports missing or disagreeing with the manifests
    audit.py          the audit hash chain no longer verifying (run nightly)
    devices.py        device telemetry cross-checks: weighbridge, storage sensor, cold store, vehicle, silence
    rules.py          the twelve rules in scan order, and the nightly ones
    engine.py         run_rules / apply_rule: findings → warnings
    lifecycle.py      acknowledge, assign, resolve, dismiss (WARNING_FLOW)
    notifications.py  immediate mails for critical warnings, the daily digest

The models are in reporting/models/warnings.py; the pages, forms and API in the usual rooms.
"""

from .base import Context, Finding, Rule
from .engine import RunResult, apply_rule, check_manifest, run_rules
from .lifecycle import WARNING_FLOW, acknowledge_warning, assign_warning, dismiss_warning, resolve_warning
from .notifications import notify_immediately, send_daily_digest
from .rules import MANIFEST_RULES, NIGHTLY_RULES, RULES, RULES_BY_CODE

__all__ = [
    "MANIFEST_RULES",
    "NIGHTLY_RULES",
    "RULES",
    "RULES_BY_CODE",
    "WARNING_FLOW",
    "Context",
    "Finding",
    "Rule",
    "RunResult",
    "acknowledge_warning",
    "apply_rule",
    "assign_warning",
    "check_manifest",
    "dismiss_warning",
    "notify_immediately",
    "resolve_warning",
    "run_rules",
    "send_daily_digest",
]
