"""Early warnings: the twelve rules of DESIGN 6, in the order the hourly scan runs them, and the rules
too heavy for it, which the nightly jobs run."""

from .audit import AuditChainBroken
from .base import Rule
from .figures import GenerationAnomaly, UtilizationBelowTarget
from .manifests import ApprovalExceeded, ManifestOverdue, PermitNotCovering, QuantityDiscrepancy
from .permits import CapacityExceeded, PermitExpiring
from .reports import ReportMismatch, ReportMissing
from .stock import StorageOverCapacity, StorageOverLimit

# Most valuable first.
RULES: tuple[Rule, ...] = (
    ManifestOverdue(),
    QuantityDiscrepancy(),
    StorageOverLimit(),
    StorageOverCapacity(),
    PermitExpiring(),
    PermitNotCovering(),
    CapacityExceeded(),
    ApprovalExceeded(),
    UtilizationBelowTarget(),
    GenerationAnomaly(),
    ReportMissing(),
    ReportMismatch(),
)
# Read every tracked row: run by the nightly audit verification (reporting.tasks.audit), not hourly.
NIGHTLY_RULES: tuple[Rule, ...] = (AuditChainBroken(),)
RULES_BY_CODE = {rule.code: rule for rule in (*RULES, *NIGHTLY_RULES)}
MANIFEST_RULES = tuple(rule for rule in RULES if rule.manifest_scoped)
