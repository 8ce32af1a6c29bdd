"""Early warnings: the twelve rules of DESIGN 6 and the device cross-checks (devices.py), in the order the
hourly scan runs them, and the rules too heavy for it, which the nightly jobs run."""

from .audit import AuditChainBroken
from .base import Rule
from .devices import (
    ColdChainBreach,
    ColdStoreTooWarm,
    DeviceSilent,
    StorageSensorMismatch,
    VehicleStopped,
    WeighbridgeMismatch,
)
from .figures import GenerationAnomaly, UtilizationBelowTarget
from .manifests import ApprovalExceeded, ManifestOverdue, PermitNotCovering, QuantityDiscrepancy
from .permits import CapacityExceeded, PermitExpiring
from .plans import PlanExceeded
from .reports import ReportMismatch, ReportMissing
from .routes import TransitTooLong, VehicleOffRoute
from .stock import StorageOverCapacity, StorageOverLimit

DEVICE_RULE_CODES = frozenset(
    {
        "COLD_CHAIN_BREACH",
        "COLD_STORE_TOO_WARM",
        "VEHICLE_STOPPED",
        "VEHICLE_OFF_ROUTE",
        "TRANSIT_TOO_LONG",
        "WEIGHBRIDGE_MISMATCH",
        "STORAGE_SENSOR_MISMATCH",
        "DEVICE_SILENT",
    }
)
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
    PlanExceeded(),
    # Device cross-checks (docs/telemetry.md): also run every five minutes on their own (DEVICE_RULES).
    ColdChainBreach(),
    ColdStoreTooWarm(),
    VehicleStopped(),
    VehicleOffRoute(),
    TransitTooLong(),
    WeighbridgeMismatch(),
    StorageSensorMismatch(),
    DeviceSilent(),
)
# Read every tracked row: run by the nightly audit verification (reporting.tasks.audit), not hourly.
NIGHTLY_RULES: tuple[Rule, ...] = (AuditChainBroken(),)
RULES_BY_CODE = {rule.code: rule for rule in (*RULES, *NIGHTLY_RULES)}
MANIFEST_RULES = tuple(rule for rule in RULES if rule.manifest_scoped)
DEVICE_RULES = tuple(rule for rule in RULES if rule.code in DEVICE_RULE_CODES)
