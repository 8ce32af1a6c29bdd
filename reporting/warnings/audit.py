"""Early-warning rule about the records themselves: the audit hash chain (wasteparks/audit.py) no longer
verifies, so a ledger entry, a signature or a report was changed, deleted or forged outside the
application."""

import hashlib

from registry.models import Park
from wasteparks.audit import Problem, parks_of

from ..models.warnings import Severity
from .base import Context, Finding, Rule

# The evidence lists this many of a park's problems; verify_audit prints them all.
EVIDENCE_LINES = 20


class AuditChainBroken(Rule):
    """The audit chain does not verify: one critical warning per park whose records are concerned.

    Who: a problem of a row that still exists belongs to the park of that row's enterprise (the row's
    `park` path given to `audit.track`). A warning always has a park, so a problem that no row can be
    traced to any more (a link removed, a row deleted) is raised in every park: the chain is one sequence
    for all of them, and what is gone could have been any park's. The warning names no enterprise, so it
    is seen by the park's officers and the provincial officers, not by the enterprise whose record it is.

    Dedup: the key is the park and a fingerprint of every problem found in it, so the nightly run finds
    the same break again without opening a second warning, and a further break in the same park (a
    different set of problems) opens a new one even after an officer resolved the first. The evidence
    names the first broken link of the park (its table and row id, in chain order).

    Closing: it does not close itself. A chain that verifies again means the changed rows were put back
    outside the application, which is a second unrecorded change, not a condition that cleared: an
    officer resolves or dismisses the warning with a note once the break is explained.

    Evaluated by the nightly verification (reporting.tasks.audit), not by the hourly scan: it reads every
    tracked row.
    """

    code = "AUDIT_CHAIN_BROKEN"
    severity = Severity.CRITICAL
    closes_itself = False
    message_zh = "审计链校验未通过：{park} 有 {count} 处记录与审计链不符，首处为 {where}，记录可能被篡改。"
    message_en = (
        "The audit chain does not verify: {count} problem(s) in the records of {park}, the first at {where}; "
        "the records may have been tampered with."
    )

    def findings(self, ctx: Context) -> list[Finding]:
        problems = ctx.audit_problems
        if not problems:
            return []
        parks = dict(Park.objects.order_by("pk").values_list("pk", "name"))
        traced = parks_of(problems)
        by_park: dict[int, list[Problem]] = {}
        for problem in problems:
            for park_id in [traced[problem]] if problem in traced else parks:
                by_park.setdefault(park_id, []).append(problem)
        return [self._finding(park_id, parks[park_id], found) for park_id, found in sorted(by_park.items())]

    def _finding(self, park_id: int, park_name: str, problems: list[Problem]) -> Finding:
        first = min(problems, key=lambda problem: problem.position)
        where = f"{first.table} #{first.row_id}" if first.row_id is not None else f"audit link #{first.sequence}"
        lines = sorted(problem.text for problem in problems)
        fingerprint = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
        return Finding(
            dedup_key=self.key(park_id, fingerprint),
            park_id=park_id,
            params={"park": park_name, "count": len(problems), "where": where},
            evidence={
                "table": first.table or "wasteparks.auditlink",
                "row_id": first.row_id,
                "audit_link": first.sequence,
                "first_problem": first.text,
                "problems": len(problems),
                "listed": [problem.text for problem in sorted(problems, key=lambda p: p.position)][:EVIDENCE_LINES],
            },
        )
