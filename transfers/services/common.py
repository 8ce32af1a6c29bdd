"""Checks the transfer services share: who acts, and the regulatory rules that read the registry."""

from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from registry.models import Enterprise, PermitKind, PermitLine, TransferApproval, User, WasteCode
from registry.tenancy import scope_of
from wasteparks.errors import NotPermitted, RuleViolation

from .. import rules
from ..models import TREATMENT_STAGES, LedgerEntry

# When an actor holds several roles on one enterprise, the trail records the strongest.
_ROLE_ORDER = ("admin", "preparer", "driver", "viewer")


def acting_role(*, actor: User, enterprise: Enterprise, allowed: frozenset[str], action: str) -> str:
    """The role `actor` signs with for `enterprise`, or NotPermitted naming what is needed."""
    scope = scope_of(actor)
    held = scope.roles_on(enterprise.pk) & allowed if not scope.read_only else frozenset()
    if not held:
        raise NotPermitted(
            f"{action}: only a {' or '.join(sorted(allowed))} of {enterprise.name} may do this.",
            code="wrong_party",
        )
    return next(role for role in _ROLE_ORDER if role in held)


def check_quantity(value, *, field: str, allow_zero: bool = False) -> Decimal:
    problem = rules.quantity_problem(value, allow_zero=allow_zero)
    if problem:
        raise RuleViolation(problem, code="invalid_quantity", fields={field: [problem]})
    return Decimal(str(value))


def check_parties_active(*parties: Enterprise) -> None:
    for enterprise in parties:
        if not enterprise.is_active:
            raise RuleViolation(
                f"All parties must be active: {enterprise.name} is {enterprise.get_status_display()}.",
                code="party_not_active",
            )


def check_road_transport_permit(*, carrier: Enterprise, on: date) -> None:
    permits = carrier.permits.filter(kind=PermitKind.ROAD_TRANSPORT, revoked_at__isnull=True)
    if permits.filter(valid_from__lte=on, valid_to__gte=on).exists():
        return
    latest = permits.order_by("-valid_to").first()
    detail = f"its latest expired on {latest.valid_to}" if latest else "it holds none"
    raise RuleViolation(
        f"The carrier must hold a valid road transport permit on {on}: {carrier.name} does not ({detail}).",
        code="carrier_permit_invalid",
    )


def _covering_lines(*, receiver: Enterprise, waste_code: WasteCode, waste_class: str):
    return PermitLine.objects.filter(
        permit__enterprise=receiver,
        permit__kind__in=rules.RECEIVER_PERMIT_KINDS[waste_class],
        permit__revoked_at__isnull=True,
    ).filter(Q(waste_code=waste_code) | Q(category_id=waste_code.category_id))


def check_receiver_permit(
    *,
    receiver: Enterprise,
    waste_code: WasteCode,
    waste_class: str,
    on: date,
    method=None,
    method_kinds: frozenset[str] = frozenset(),
) -> PermitLine | None:
    """The receiver's permit must cover the code (or its category) and the method (or, before the
    method is known, a method of the manifest's purpose) on that day. General waste needs no licence."""
    if not rules.needs_operating_licence(waste_class):
        return None
    lines = _covering_lines(receiver=receiver, waste_code=waste_code, waste_class=waste_class)
    if method is not None:
        lines = lines.filter(method=method)
        what = f"method {method.code}"
    else:
        lines = lines.filter(method__kind__in=method_kinds)
        what = f"a {'/'.join(sorted(method_kinds))} method"
    valid = lines.filter(permit__valid_from__lte=on, permit__valid_to__gte=on).select_related("permit", "method")
    best = valid.order_by("-annual_capacity_t").first()
    if best is not None:
        return best
    lapsed = lines.select_related("permit").order_by("-permit__valid_to").first()
    if lapsed is not None:
        raise RuleViolation(
            f"Permit {lapsed.permit.number} of {receiver.name} covers {waste_code.code} with {what} but is not "
            f"valid on {on} (valid {lapsed.permit.valid_from} to {lapsed.permit.valid_to}).",
            code="permit_expired",
        )
    raise RuleViolation(
        f"{receiver.name} holds no valid permit covering {waste_code.code} (category "
        f"{waste_code.category.code}) with {what} on {on}.",
        code="permit_not_covering",
    )


def check_treatment_capacity(
    *, receiver: Enterprise, waste_code: WasteCode, waste_class: str, method, quantity_t: Decimal, on: date
) -> None:
    """Treatment with `method` this calendar year, plus this quantity, must fit a covering permit line.

    A line's use is what the receiver utilized or disposed of with that method this year, for the codes
    the line covers (its code, or every code of its category).
    """
    if not rules.needs_operating_licence(waste_class):
        return
    check_receiver_permit(receiver=receiver, waste_code=waste_code, waste_class=waste_class, on=on, method=method)
    lines = (
        _covering_lines(receiver=receiver, waste_code=waste_code, waste_class=waste_class)
        .filter(method=method, permit__valid_from__lte=on, permit__valid_to__gte=on)
        .select_related("permit")
    )
    best_remaining, best_line, best_used = None, None, None
    for line in lines:
        covered = (
            Q(waste_code_id=line.waste_code_id) if line.waste_code_id else Q(waste_code__category_id=line.category_id)
        )
        used = LedgerEntry.objects.filter(
            covered,
            enterprise=receiver,
            stage__in=TREATMENT_STAGES,
            method=method,
            occurred_at__year=on.year,
        ).aggregate(total=Sum("quantity_t"))["total"] or Decimal("0")
        remaining = line.annual_capacity_t - used
        if best_remaining is None or remaining > best_remaining:
            best_remaining, best_line, best_used = remaining, line, used
    if best_line is not None and quantity_t <= best_remaining:
        return
    raise RuleViolation(
        f"Annual capacity exceeded: permit {best_line.permit.number} allows {best_line.annual_capacity_t} t/yr of "
        f"{waste_code.code} with {method.code}; {best_used} t already treated in {on.year}, "
        f"{max(best_remaining, Decimal('0'))} t remaining, {quantity_t} t requested.",
        code="capacity_exceeded",
    )


def check_approval(
    *,
    approval: TransferApproval,
    consignor: Enterprise,
    receiver: Enterprise,
    codes: set[int],
    quantity_t: Decimal,
    on: date,
) -> None:
    if approval.consignor_id != consignor.pk or approval.receiver_id != receiver.pk:
        raise RuleViolation(
            f"Transfer approval {approval.number} is for another consignor or receiver.", code="approval_mismatch"
        )
    if codes - {approval.waste_code_id}:
        raise RuleViolation(
            f"Transfer approval {approval.number} covers only {approval.waste_code.code}; a cross-province manifest "
            "may carry only the approved code.",
            code="approval_mismatch",
        )
    if not (approval.valid_from <= on <= approval.valid_to):
        raise RuleViolation(
            f"Transfer approval {approval.number} is valid {approval.valid_from} to {approval.valid_to}, not on {on}.",
            code="approval_expired",
        )
    if quantity_t > approval.remaining_t:
        raise RuleViolation(
            f"Transfer approval {approval.number} allows {approval.approved_quantity_t} t; "
            f"{approval.quantity_used_t} t "
            f"used, {approval.remaining_t} t remaining, {quantity_t} t requested.",
            code="approval_exceeded",
        )


def find_approval(
    *, consignor: Enterprise, receiver: Enterprise, waste_code_id: int, quantity_t: Decimal, on: date
) -> TransferApproval | None:
    candidates = TransferApproval.objects.filter(
        consignor=consignor, receiver=receiver, waste_code_id=waste_code_id, valid_from__lte=on, valid_to__gte=on
    ).order_by("valid_to", "pk")
    for approval in candidates:
        if approval.remaining_t >= quantity_t:
            return approval
    return None
