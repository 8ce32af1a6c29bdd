"""Early-warning rules: the parts every rule is built from.

A rule is a small class: a code, a default severity, a message template in Chinese and in English, and
`findings(ctx)`, which returns what is wrong *now* as Findings (dedup key, jurisdiction, subject,
evidence, message parameters). Rules read the database with a few set-based queries, never one query
per row; the engine (engine.py) turns their findings into warnings and closes the warnings whose key is
no longer found. Rules whose subject is a manifest can be evaluated for one manifest
(`manifest_scoped`); their `closing_scope` says which live warnings such a run is responsible for.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import DecimalField, Q

from registry.models import PermitKind
from transfers.models import Manifest, ManifestStatus
from wasteparks.audit import Problem, find_problems
from wasteparks.periods import local_date, zone

from ..models.warnings import Severity

if TYPE_CHECKING:
    from .thresholds import ParkThresholds

ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Percentages in messages and evidence are shown to two places.
CENT = Decimal("0.01")
TONNES = DecimalField(max_digits=14, decimal_places=4)
LICENCE_KINDS = (PermitKind.HAZARDOUS_OPERATING, PermitKind.MEDICAL_DISPOSAL)
SHIPPED_STATUSES = (
    ManifestStatus.SUBMITTED,
    ManifestStatus.IN_TRANSIT,
    ManifestStatus.RECEIVED,
    ManifestStatus.COMPLETED,
)


def text(value):
    """Evidence and message parameters are JSON: Decimals and times as strings."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.astimezone(zone()).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Context:
    """One evaluation: the moment it runs at, and the manifest it is limited to (None: everything)."""

    now: datetime
    manifest_id: int | None = None

    @property
    def today(self) -> date:
        return local_date(self.now)

    @cached_property
    def thresholds(self) -> "ParkThresholds":
        """Every park's thresholds, read once for the whole evaluation."""
        from .thresholds import ParkThresholds  # here: thresholds.py uses text() from this module

        return ParkThresholds.load()

    @cached_property
    def audit_problems(self) -> list[Problem]:
        """What the audit hash chain finds wrong, verified once for the whole evaluation (it reads every
        tracked row)."""
        return find_problems()


@dataclass
class Finding:
    dedup_key: str
    park_id: int
    params: dict
    evidence: dict
    severity: str | None = None  # None: the rule's default
    enterprise_id: int | None = None
    manifest_id: int | None = None
    permit_id: int | None = None
    facility_id: int | None = None
    approval_id: int | None = None
    report_id: int | None = None
    extra: dict = field(default_factory=dict)


class Rule:
    code: str = ""
    severity: str = Severity.WARNING
    message_zh: str = ""
    message_en: str = ""
    manifest_scoped: bool = False
    # Whether the engine closes a live warning once the rule no longer finds it ("the condition cleared").
    closes_itself: bool = True

    def findings(self, ctx: Context) -> list[Finding]:
        raise NotImplementedError

    def closing_scope(self, ctx: Context) -> Q:
        """The live warnings of this rule a run over `ctx` answers for (all of them in a full scan)."""
        if ctx.manifest_id is not None:
            return Q(manifest_id=ctx.manifest_id)
        return Q()

    def key(self, *parts) -> str:
        return ":".join([self.code, *(str(part) for part in parts)])

    def render(self, finding: Finding) -> tuple[str, str]:
        params = {name: text(value) for name, value in finding.params.items()}
        return self.message_zh.format(**params), self.message_en.format(**params)

    def _manifests(self, ctx: Context):
        queryset = Manifest.objects.all()
        if ctx.manifest_id is not None:
            queryset = queryset.filter(pk=ctx.manifest_id)
        return queryset
