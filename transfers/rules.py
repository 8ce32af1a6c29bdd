"""Pure transfer rules: the transition table, who signs what, quantity bounds and tolerances. No I/O."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from registry.models import EnterpriseRole, MethodKind, PermitKind, WasteClass

from .models import LedgerStage, ManifestStatus, Party, Purpose

S = ManifestStatus
R = EnterpriseRole

# A line or ledger entry above this is a typing error, not a truck load.
MAX_LINE_QUANTITY_T = Decimal("1000000")
QUANTITY_PLACES = 4
MIN_QUANTITY_T = Decimal("0.0001")
# A ledger entry may be recorded this far ahead of the server clock (clock skew of enterprise systems).
FUTURE_TOLERANCE_MINUTES = 10
MAX_LINES_PER_MANIFEST = 50


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    party: str
    roles: frozenset[str]


# Which roles sign for each party.
PARTY_ROLES: dict[str, frozenset[str]] = {
    Party.CONSIGNOR: frozenset({R.ADMIN, R.PREPARER}),
    Party.CARRIER: frozenset({R.ADMIN, R.DRIVER}),
    Party.RECEIVER: frozenset({R.ADMIN, R.PREPARER}),
}

# The one place that says which party may move a manifest from which status to which (DESIGN 4).
TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({S.DRAFT}), S.SUBMITTED, Party.CONSIGNOR, PARTY_ROLES[Party.CONSIGNOR]),
    "pickup": Transition(frozenset({S.SUBMITTED}), S.IN_TRANSIT, Party.CARRIER, PARTY_ROLES[Party.CARRIER]),
    "receive": Transition(frozenset({S.IN_TRANSIT}), S.RECEIVED, Party.RECEIVER, PARTY_ROLES[Party.RECEIVER]),
    "treat": Transition(frozenset({S.RECEIVED}), S.COMPLETED, Party.RECEIVER, PARTY_ROLES[Party.RECEIVER]),
    # Cancelling is possible only before pickup: once the load moves, only the receiver can refuse it.
    "cancel": Transition(frozenset({S.DRAFT, S.SUBMITTED}), S.CANCELLED, Party.CONSIGNOR, PARTY_ROLES[Party.CONSIGNOR]),
    "reject": Transition(frozenset({S.IN_TRANSIT}), S.REJECTED, Party.RECEIVER, PARTY_ROLES[Party.RECEIVER]),
}

# Statuses in which a revision request may be proposed: signed, and not withdrawn.
REVISABLE_STATUSES = frozenset({S.SUBMITTED, S.IN_TRANSIT, S.RECEIVED, S.COMPLETED, S.REJECTED})
# Fields a revision may change. Quantities that already moved stock are corrected with ledger entries,
# not by rewriting the manifest, so declared_quantity_t is revisable only before pickup.
REVISABLE_MANIFEST_FIELDS = frozenset({"vehicle_plate", "planned_date"})
REVISABLE_LINE_FIELDS = frozenset(
    {"packaging_type", "packaging_count", "physical_form", "hazard", "batch_code", "declared_quantity_t"}
)
LINE_FIELDS_FIXED_AFTER_PICKUP = frozenset({"declared_quantity_t"})

# Stages an enterprise records by hand; shipped and received come only from manifest signatures.
MANUAL_STAGES = frozenset(
    {
        LedgerStage.GENERATED,
        LedgerStage.STORED_IN,
        LedgerStage.STORED_OUT,
        LedgerStage.UTILIZED_IN_HOUSE,
        LedgerStage.DISPOSED_IN_HOUSE,
    }
)
STAGE_METHOD_KIND = {
    LedgerStage.UTILIZED_IN_HOUSE: MethodKind.UTILIZATION,
    LedgerStage.DISPOSED_IN_HOUSE: MethodKind.DISPOSAL,
}
METHOD_KIND_STAGE = {kind: stage for stage, kind in STAGE_METHOD_KIND.items()}

# Permits that let a receiver accept each class. General industrial waste needs no operating licence.
RECEIVER_PERMIT_KINDS: dict[str, frozenset[str]] = {
    WasteClass.HAZARDOUS: frozenset({PermitKind.HAZARDOUS_OPERATING}),
    WasteClass.MEDICAL: frozenset({PermitKind.MEDICAL_DISPOSAL, PermitKind.HAZARDOUS_OPERATING}),
    WasteClass.GENERAL: frozenset(),
}
# Which method kinds a manifest's purpose allows at treatment.
PURPOSE_METHOD_KINDS: dict[str, frozenset[str]] = {
    Purpose.UTILIZATION: frozenset({MethodKind.UTILIZATION}),
    Purpose.DISPOSAL: frozenset({MethodKind.DISPOSAL}),
    Purpose.STORAGE: frozenset({MethodKind.STORAGE}),
}


def needs_operating_licence(waste_class: str) -> bool:
    return bool(RECEIVER_PERMIT_KINDS.get(waste_class))


def needs_transfer_approval(*, waste_class: str, is_cross_province: bool) -> bool:
    """Cross-province hazardous and medical transfers need an approval; general waste only a filing."""
    return is_cross_province and waste_class != WasteClass.GENERAL


def quantity_problem(value, *, allow_zero: bool = False) -> str | None:
    """Why `value` is not an acceptable quantity in tonnes, or None."""
    if isinstance(value, float):
        return _("Quantities are exact decimals; a floating-point number is refused.")
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return _("%(value)r is not a number.") % {"value": value}
    if not quantity.is_finite():
        return _("%(value)r is not a finite number.") % {"value": value}
    if quantity < 0 or (quantity == 0 and not allow_zero):
        return _("The quantity must be greater than 0 t; got %(quantity)s t.") % {"quantity": quantity}
    if quantity > MAX_LINE_QUANTITY_T:
        return _("%(quantity)s t is above the %(limit)s t limit per line.") % {
            "quantity": quantity,
            "limit": MAX_LINE_QUANTITY_T,
        }
    exponent = quantity.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > QUANTITY_PLACES:
        return _("%(value)s has more than %(places)s decimal places (0.1 kg).") % {
            "value": value,
            "places": QUANTITY_PLACES,
        }
    return None


def is_discrepancy(*, declared: Decimal, received: Decimal, tolerance: Decimal) -> bool:
    """Received differs from declared by more than `tolerance` (a fraction of the declared quantity)."""
    return abs(received - declared) > declared * tolerance


def deviation_pct(*, declared: Decimal, received: Decimal) -> Decimal:
    return ((received - declared) / declared * 100).quantize(Decimal("0.01"))
