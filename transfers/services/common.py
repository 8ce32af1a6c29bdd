"""What the transfer services share: the manifest lock, who acts, and the regulatory rules that read the
registry and the ledger (permits, approvals, capacity). The checks that need no query are in transfers.rules."""

from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import (
    Enterprise,
    PermitKind,
    PermitLine,
    TransferApproval,
    TransferFiling,
    User,
    WasteCode,
)
from registry.rules import check_may_act
from registry.tenancy import scope_of
from wasteparks.errors import NotPermitted, RuleViolation

from .. import rules
from ..models import TREATMENT_STAGES, LedgerEntry, Manifest, Party
from .receivers import approvals_in_force


def lock_manifest(manifest: Manifest) -> Manifest:
    """The manifest read again under a row lock, with the parties every service reads."""
    # Lock first: two signers acting on the same manifest must not both move it. Only the manifest row
    # is locked (of=self); the parties are read, not locked.
    return (
        Manifest.objects.select_for_update(of=("self",))
        .select_related("consignor__park__division", "carrier", "receiver__park__division", "approval")
        .get(pk=manifest.pk)
    )


def is_cross_province(consignor: Enterprise, receiver: Enterprise) -> bool:
    """The parties' parks are in different provinces (read through park and division)."""
    return consignor.park.division.province_code != receiver.park.division.province_code


# When an actor holds several roles on one enterprise, the trail records the strongest.
_ROLE_ORDER = ("admin", "preparer", "driver", "viewer")


def acting_role(*, actor: User, enterprise: Enterprise, allowed: frozenset[str], action: str) -> str:
    """The role `actor` signs with for `enterprise`, or NotPermitted naming what is needed."""
    scope = scope_of(actor)
    held = scope.roles_on(enterprise.pk) & allowed if not scope.read_only else frozenset()
    if not held:
        raise NotPermitted(
            _("%(action)s: only a %(roles)s of %(enterprise)s may do this.")
            % {"action": action, "roles": " or ".join(sorted(allowed)), "enterprise": enterprise.name},
            code="wrong_party",
        )
    check_may_act(enterprise)
    return next(role for role in _ROLE_ORDER if role in held)


# --- Whom a consignor may name ----------------------------------------------------------------------
# A manifest's other parties are usually other tenants. The choices offered are the ones a consignor may
# pick, and a refusal of anything else never names it: picking ids must not list other tenants.


def _consignor_ids(user: User) -> list[int]:
    scope = scope_of(user)
    if scope.read_only:
        return []
    return [pk for pk, roles in scope.enterprise_roles.items() if roles & rules.PARTY_ROLES[Party.CONSIGNOR]]


def _consignor_provinces(user: User) -> QuerySet:
    return Enterprise.objects.filter(pk__in=_consignor_ids(user)).values("park__division__province_code")


def choosable_carriers(user: User) -> QuerySet[Enterprise]:
    """The carriers offered to a consignor's staff: the active carriers of their province (which holds
    their park)."""
    return (
        Enterprise.objects.active()
        .carriers()
        .filter(park__division__province_code__in=_consignor_provinces(user))
        .order_by("name")
    )


def choosable_receivers(user: User) -> QuerySet[Enterprise]:
    """The receivers offered to a consignor's staff: the active receivers of their province, and those of
    another province named by one of their consignors' transfer approvals still in force."""
    approved = (
        TransferApproval.objects.granted()
        .filter(consignor_id__in=_consignor_ids(user), valid_to__gte=timezone.localdate())
        .values("receiver_id")
    )
    return (
        Enterprise.objects.active()
        .receivers()
        .filter(Q(park__division__province_code__in=_consignor_provinces(user)) | Q(pk__in=approved))
        .order_by("name")
    )


def carrier_drivers(carrier_id: int) -> QuerySet[User]:
    """The people who may sign a pickup for the carrier: its active drivers and administrators."""
    return (
        User.objects.filter(
            is_active=True,
            enterprise_memberships__enterprise_id=carrier_id,
            enterprise_memberships__role__in=rules.PARTY_ROLES[Party.CARRIER],
        )
        .distinct()
        .order_by("username")
    )


def check_driver_of_carrier(*, driver: User, carrier: Enterprise) -> None:
    """The driver named at pickup drives for the manifest's carrier. The refusal names neither: the
    driver may be any account id someone typed."""
    if not carrier_drivers(carrier.pk).filter(pk=driver.pk).exists():
        raise RuleViolation(
            _("This driver does not drive for the chosen carrier."),
            code="driver_not_of_carrier",
            fields={"driver": [_("Choose a driver of the carrier.")]},
        )


def check_road_transport_permit(*, carrier: Enterprise, on: date) -> None:
    permits = carrier.permits.filter(kind=PermitKind.ROAD_TRANSPORT, revoked_at__isnull=True)
    if permits.valid_on(on).exists():
        return
    latest = permits.order_by("-valid_to").first()
    detail = _("its latest expired on %(day)s") % {"day": latest.valid_to} if latest else _("it holds none")
    raise RuleViolation(
        _("The carrier must hold a valid road transport permit on %(day)s: %(name)s does not (%(detail)s).")
        % {"day": on, "name": carrier.name, "detail": detail},
        code="carrier_permit_invalid",
    )


def _covering_lines(*, receiver: Enterprise, waste_code: WasteCode, waste_class: str):
    return PermitLine.objects.filter(
        permit__enterprise=receiver,
        permit__kind__in=rules.RECEIVER_PERMIT_KINDS[waste_class],
        permit__revoked_at__isnull=True,
    ).covering(waste_code)


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
        what = _("method %(code)s") % {"code": method.code}
    else:
        lines = lines.filter(method__kind__in=method_kinds)
        what = _("a %(kinds)s method") % {"kinds": "/".join(sorted(method_kinds))}
    valid = lines.in_force_on(on).select_related("permit", "method")
    best = valid.order_by("-annual_capacity_t").first()
    if best is not None:
        return best
    lapsed = lines.select_related("permit").order_by("-permit__valid_to").first()
    if lapsed is not None:
        raise RuleViolation(
            _(
                "Permit %(permit)s of %(name)s covers %(code)s with %(what)s but is not valid on %(day)s "
                "(valid %(valid_from)s to %(valid_to)s)."
            )
            % {
                "permit": lapsed.permit.number,
                "name": receiver.name,
                "code": waste_code.code,
                "what": what,
                "day": on,
                "valid_from": lapsed.permit.valid_from,
                "valid_to": lapsed.permit.valid_to,
            },
            code="permit_expired",
        )
    raise RuleViolation(
        _("%(name)s holds no valid permit covering %(code)s (category %(category)s) with %(what)s on %(day)s.")
        % {
            "name": receiver.name,
            "code": waste_code.code,
            "category": waste_code.category.code,
            "what": what,
            "day": on,
        },
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
    best: tuple[Decimal, PermitLine, Decimal] | None = None  # (remaining, line, used) of the roomiest line
    for line in lines:
        covered = (
            Q(waste_code_id=line.waste_code_id) if line.waste_code_id else Q(waste_code__category_id=line.category_id)
        )
        used = LedgerEntry.objects.filter(
            covered,
            enterprise=receiver,
            stage__in=TREATMENT_STAGES,
            method=method,
        ).in_year(on.year).aggregate(total=Sum("quantity_t"))["total"] or Decimal("0")
        remaining = line.annual_capacity_t - used
        if best is None or remaining > best[0]:
            best = (remaining, line, used)
    # check_receiver_permit above found a line of this method valid on this day, and `lines` is that same
    # set, so there is always a best line here.
    assert best is not None
    best_remaining, best_line, best_used = best
    if quantity_t <= best_remaining:
        return
    raise RuleViolation(
        _(
            "Annual capacity exceeded: permit %(permit)s allows %(capacity)s t/yr of %(code)s with %(method)s; "
            "%(used)s t already treated in %(year)s, %(remaining)s t remaining, %(requested)s t requested."
        )
        % {
            "permit": best_line.permit.number,
            "capacity": best_line.annual_capacity_t,
            "code": waste_code.code,
            "method": method.code,
            "used": best_used,
            "year": on.year,
            "remaining": max(best_remaining, Decimal("0")),
            "requested": quantity_t,
        },
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
            _("Transfer approval %(number)s is for another consignor or receiver.") % {"number": approval.number},
            code="approval_mismatch",
        )
    if codes - {approval.waste_code_id}:
        raise RuleViolation(
            _(
                "Transfer approval %(number)s covers only %(code)s; a cross-province manifest may carry only the "
                "approved code."
            )
            % {"number": approval.number, "code": approval.waste_code.code},
            code="approval_mismatch",
        )
    if not (approval.valid_from <= on <= approval.valid_to):
        raise RuleViolation(
            _("Transfer approval %(number)s is valid %(valid_from)s to %(valid_to)s, not on %(day)s.")
            % {"number": approval.number, "valid_from": approval.valid_from, "valid_to": approval.valid_to, "day": on},
            code="approval_expired",
        )
    if quantity_t > approval.remaining_t:
        raise RuleViolation(
            _(
                "Transfer approval %(number)s allows %(approved)s t; %(used)s t used, %(remaining)s t remaining, "
                "%(requested)s t requested."
            )
            % {
                "number": approval.number,
                "approved": approval.approved_quantity_t,
                "used": approval.quantity_used_t,
                "remaining": approval.remaining_t,
                "requested": quantity_t,
            },
            code="approval_exceeded",
        )


def check_filing(*, consignor: Enterprise, receiver: Enterprise, codes: dict[int, str], on: date) -> None:
    """Every code of a cross-province general waste manifest for utilization has a filing (备案) in force on
    `on` from the consignor to the receiver (Solid Waste Law art. 22); the first code without one refuses."""
    filed = set(
        TransferFiling.objects.covering(
            consignor_id=consignor.pk, receiver_id=receiver.pk, waste_code_ids=set(codes), day=on
        ).values_list("waste_code_id", flat=True)
    )
    missing = sorted(code for code_id, code in codes.items() if code_id not in filed)
    if missing:
        raise RuleViolation(
            _(
                "Moving general industrial solid waste out of the province for utilization needs a filing with the "
                "province it leaves (Solid Waste Law, art. 22): none is in force on %(day)s from %(consignor)s to "
                "%(receiver)s for %(codes)s."
            )
            % {"day": on, "consignor": consignor.name, "receiver": receiver.name, "codes": ", ".join(missing)},
            code="filing_missing",
        )


def find_approval(
    *, consignor: Enterprise, receiver: Enterprise, waste_code_id: int, quantity_t: Decimal, on: date
) -> TransferApproval | None:
    candidates = approvals_in_force(consignor_id=consignor.pk, waste_code_id=waste_code_id, on=on).filter(
        receiver=receiver
    )
    for approval in candidates:
        if approval.remaining_t >= quantity_t:
            return approval
    return None
