"""The by-product exchange: publishing and withdrawing listings, and what the platform knows beside them.

Who may publish: an administrator or preparer of an active enterprise (the roles that prepare its
manifests as consignor, or sign them as receiver: transfers.rules.PARTY_ROLES).

What a listing may say:

- a stream names a code the enterprise holds: one its ledger has recorded it generating, or one a
  management plan of this year or the last declares;
- an offer of a licensed class (hazardous, medical) names a method that a receiving licence line of the
  enterprise in force today allows for the code or category, and offers no more tonnes than that line has
  left this year (transfers.services.receivers.licence_lines_in_force, the lines the manifest form checks);
  general industrial solid waste needs no licence, so its offer states the receiver's own capacity.

What the platform derives: a generator's recurring streams (codes generated in at least
RECURRING_MONTHS of the last WINDOW_MONTHS ended months, with the monthly average) to start a listing
from, and a receiver's licence lines in force with their room left, to start an offer from.

Who sees listings: the exchange spans a province. Staff of an enterprise see the open listings of every
enterprise in their enterprises' provinces; officers those of their jurisdiction.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Enterprise, ManagementMethod, User, WasteCategory, WasteClass, WasteCode
from registry.rules import check_may_act
from registry.tenancy import scope_of
from transfers.models import LedgerEntry, LedgerStage, Party
from transfers.rules import needs_operating_licence, party_enterprise_ids
from transfers.services.receivers import licence_lines_in_force
from wasteparks.bounds import PLAN
from wasteparks.errors import NotPermitted, RuleViolation
from wasteparks.periods import Period

from ..models.exchange import ListingStatus, OfferListing, StreamListing
from ..models.plans import ManagementPlanLine

WINDOW_MONTHS = 6
RECURRING_MONTHS = 3


def _check_publisher(actor: User, enterprise: Enterprise, party: str) -> None:
    if enterprise.pk not in party_enterprise_ids(scope_of(actor), party):
        raise NotPermitted(
            _("Only an administrator or preparer of %(enterprise)s may publish or withdraw its listings.")
            % {"enterprise": enterprise.name}
        )
    check_may_act(enterprise)


def holds_code(enterprise: Enterprise, waste_code: WasteCode, *, today: date | None = None) -> bool:
    """Whether the enterprise's own records show it holding the code: generated in its ledger, or declared
    in its management plan of this year or the last."""
    year = (today or timezone.localdate()).year
    return (
        LedgerEntry.objects.filter(enterprise=enterprise, waste_code=waste_code, stage=LedgerStage.GENERATED).exists()
        or ManagementPlanLine.objects.filter(
            plan__enterprise=enterprise, plan__year__in=[year - 1, year], waste_code=waste_code
        ).exists()
    )


def publish_stream(
    *,
    actor: User,
    enterprise: Enterprise,
    waste_code: WasteCode,
    monthly_t: Decimal,
    available_from: date,
    available_to: date | None = None,
    properties: str = "",
    location: str = "",
) -> StreamListing:
    """List a stream of `enterprise` on the exchange."""
    _check_publisher(actor, enterprise, Party.CONSIGNOR)
    values = {"enterprise": enterprise.name, "code": waste_code.code}
    if not holds_code(enterprise, waste_code):
        raise RuleViolation(
            _(
                "%(enterprise)s has not recorded generating %(code)s in its ledger, nor declared it in a "
                "management plan: a stream can only list a waste the enterprise holds."
            )
            % values,
            code="code_not_held",
            fields={"waste_code": [_("Not a waste this enterprise holds.")]},
        )
    for name, day in (("available_from", available_from), ("available_to", available_to)):
        if day is not None and (problem := PLAN.problem(day)):
            raise RuleViolation(problem, code="invalid_date", fields={name: [problem]})
    if available_to is not None and available_to < available_from:
        message = _("The window cannot end before it starts.")
        raise RuleViolation(message, code="invalid_window", fields={"available_to": [message]})
    return StreamListing.objects.create(
        enterprise=enterprise,
        waste_code=waste_code,
        monthly_t=monthly_t,
        available_from=available_from,
        available_to=available_to,
        properties=properties,
        location=location,
        published_by=actor,
    )


def offer_lines(*, enterprise: Enterprise, method: ManagementMethod, waste_class: str, day: date, covers: Q):
    """The receiving licence lines in force of `enterprise` for `method` that cover the offer."""
    return licence_lines_in_force(waste_class=waste_class, day=day, receiver_ids=[enterprise.pk]).filter(
        covers, method=method
    )


def _line_covers(line, *, code: WasteCode | None, category_id: int | None) -> bool:
    """`_covers` for a line already read: the same rule, in Python, for many offers at once."""
    if code is not None:
        return line.waste_code_id == code.pk or line.category_id == code.category_id
    return line.category_id == category_id or (
        line.waste_code is not None and line.waste_code.category_id == category_id
    )


def _covers(waste_code: WasteCode | None, category: WasteCategory | None) -> Q:
    if waste_code is not None:
        return Q(waste_code=waste_code) | Q(category_id=waste_code.category_id)
    return Q(category=category) | Q(waste_code__category=category)


def publish_offer(
    *,
    actor: User,
    enterprise: Enterprise,
    method: ManagementMethod,
    waste_code: WasteCode | None = None,
    category: WasteCategory | None = None,
    capacity_t: Decimal | None = None,
    gate_fee_yuan_per_t: Decimal | None = None,
    note: str = "",
) -> OfferListing:
    """List what receiver `enterprise` takes; a licensed class only within a licence line in force."""
    _check_publisher(actor, enterprise, Party.RECEIVER)
    if (waste_code is None) == (category is None):
        message = _("Name either a waste code or a category.")
        raise RuleViolation(message, code="code_or_category", fields={"waste_code": [message]})
    if not enterprise.is_receiver:
        raise RuleViolation(
            _("%(enterprise)s is not registered as a receiver.") % {"enterprise": enterprise.name},
            code="not_a_receiver",
        )
    waste_class = waste_code.waste_class if waste_code is not None else category.waste_class or ""  # type: ignore[union-attr]
    values = {"enterprise": enterprise.name, "what": (waste_code or category).code, "method": method.code}  # type: ignore[union-attr]
    if needs_operating_licence(waste_class):
        rooms = [
            line.room_t
            for line in offer_lines(
                enterprise=enterprise,
                method=method,
                waste_class=waste_class,
                day=timezone.localdate(),
                covers=_covers(waste_code, category),
            )
        ]
        if not rooms:
            raise RuleViolation(
                _("No licence of %(enterprise)s in force today allows %(method)s for %(what)s.") % values,
                code="not_licensed",
                fields={"method": [_("Not allowed by a licence in force.")]},
            )
        room = max(rooms)
        if capacity_t is not None and capacity_t > room:
            message = _("At most %(room)s t is left this year on the licence line for %(what)s by %(method)s.") % (
                values | {"room": f"{room:.4f}"}
            )
            raise RuleViolation(message, code="beyond_licence", fields={"capacity_t": [message]})
    return OfferListing.objects.create(
        enterprise=enterprise,
        waste_code=waste_code,
        category=category,
        method=method,
        capacity_t=capacity_t,
        gate_fee_yuan_per_t=gate_fee_yuan_per_t,
        note=note,
        published_by=actor,
    )


def withdraw_listing(*, actor: User, listing: StreamListing | OfferListing) -> None:
    party = Party.CONSIGNOR if isinstance(listing, StreamListing) else Party.RECEIVER
    _check_publisher(actor, listing.enterprise, party)
    if listing.status != ListingStatus.WITHDRAWN:
        listing.status = ListingStatus.WITHDRAWN
        listing.save(update_fields=["status", "updated_at"])


# --- who sees what -------------------------------------------------------------------------------------------


def exchange_enterprises(user: User):
    """The enterprises whose listings `user` sees: every enterprise of the provinces of the user's own
    enterprises, or of the officer's jurisdiction."""
    scope = scope_of(user)
    if scope.everything:
        return Enterprise.objects.all()
    provinces = set(scope.province_codes)
    provinces |= set(
        Enterprise.objects.filter(pk__in=scope.enterprise_ids).values_list("park__division__province_code", flat=True)
    )
    return Enterprise.objects.filter(Q(park__division__province_code__in=provinces) | Q(park_id__in=scope.park_ids))


def open_streams(user: User):
    return (
        StreamListing.objects.filter(status=ListingStatus.OPEN, enterprise__in=exchange_enterprises(user))
        .filter(Q(available_to__isnull=True) | Q(available_to__gte=timezone.localdate()))
        .select_related("enterprise__park", "waste_code")
    )


def open_offers(user: User):
    return OfferListing.objects.filter(
        status=ListingStatus.OPEN, enterprise__in=exchange_enterprises(user)
    ).select_related("enterprise__park", "waste_code", "category", "method")


def managed_streams(user: User):
    """Streams whose matches the user may see: its own enterprises' (consignor roles), and every stream of
    the parks and provinces an officer supervises."""
    scope = scope_of(user)
    streams = StreamListing.objects.select_related("enterprise__park__division", "waste_code")
    if scope.everything:
        return streams
    return streams.filter(
        Q(enterprise_id__in=party_enterprise_ids(scope, Party.CONSIGNOR))
        | Q(enterprise__park_id__in=scope.park_ids)
        | Q(enterprise__park__division__province_code__in=scope.province_codes)
    )


# --- what the platform derives ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecurringStream:
    waste_code: WasteCode
    months: int
    monthly_t: Decimal


def recurring_streams(enterprise: Enterprise, *, now=None) -> list[RecurringStream]:
    """Codes the enterprise generated in at least RECURRING_MONTHS of the last WINDOW_MONTHS ended months,
    with the average over the months it generated them (two queries)."""
    window = Period.containing(now).previous().rolling(WINDOW_MONTHS)
    rows = (
        LedgerEntry.objects.filter(
            enterprise=enterprise,
            stage=LedgerStage.GENERATED,
            occurred_at__gte=window.start,
            occurred_at__lt=window.end,
        )
        .annotate(month=TruncMonth("occurred_at"))
        .values("waste_code_id", "month")
        .annotate(tonnes=Sum("quantity_t"))
        .order_by()
    )
    per_code: dict[int, list[Decimal]] = {}
    for row in rows:
        per_code.setdefault(row["waste_code_id"], []).append(row["tonnes"])
    recurring = {code: months for code, months in per_code.items() if len(months) >= RECURRING_MONTHS}
    codes = WasteCode.objects.in_bulk(list(recurring))
    found = [
        RecurringStream(
            waste_code=codes[code],
            months=len(months),
            monthly_t=(sum(months, Decimal(0)) / len(months)).quantize(Decimal("0.0001")),
        )
        for code, months in recurring.items()
    ]
    return sorted(found, key=lambda s: (-s.monthly_t, s.waste_code.code))


@dataclass(frozen=True)
class LicensedRoom:
    waste_code: WasteCode | None
    category: WasteCategory | None
    method: ManagementMethod
    permit_number: str
    room_t: Decimal


def _receiving_lines(receiver_ids: list[int], day: date):
    """The receivers' licence lines in force with their room, hazardous and medical (the medical classes'
    permit kinds include the hazardous operating licence: each line once). Two queries."""
    return {
        line.pk: line
        for waste_class in (WasteClass.HAZARDOUS, WasteClass.MEDICAL)
        for line in licence_lines_in_force(waste_class=waste_class, day=day, receiver_ids=receiver_ids)
        .select_related("waste_code", "category")
        .order_by("pk")
    }


def licensed_rooms(enterprise: Enterprise, *, day: date | None = None) -> list[LicensedRoom]:
    """The receiver's licence lines in force with the room left this year."""
    lines = _receiving_lines([enterprise.pk], day or timezone.localdate())
    return [
        LicensedRoom(
            waste_code=line.waste_code,
            category=line.category,
            method=line.method,
            permit_number=line.permit.number,
            room_t=max(line.room_t, Decimal(0)),
        )
        for line in lines.values()
    ]


def offer_rooms(offers: list[OfferListing], *, day: date | None = None) -> dict[int, Decimal | None]:
    """What each offer's licence has left this year, read live beside what was offered: the largest room
    of its receiver's lines in force for its method covering its code or category (0 when none is left or
    none is in force); None for general industrial solid waste, which needs no licence. Three queries."""
    lines = list(
        _receiving_lines(sorted({offer.enterprise_id for offer in offers}), day or timezone.localdate()).values()
    )
    classes = dict(
        WasteCode.objects.filter(category_id__in={o.category_id for o in offers if o.category_id})
        .values_list("category_id", "waste_class")
        .distinct()
    )
    rooms: dict[int, Decimal | None] = {}
    for offer in offers:
        code, category_id = offer.waste_code, offer.category_id
        waste_class = code.waste_class if code is not None else classes.get(category_id or 0, "")
        if not needs_operating_licence(waste_class):
            rooms[offer.pk] = None
            continue
        covering = [
            line.room_t
            for line in lines
            if line.permit.enterprise_id == offer.enterprise_id
            and line.method_id == offer.method_id
            and _line_covers(line, code=code, category_id=category_id)
        ]
        rooms[offer.pk] = max([Decimal(0), *covering])
    return rooms
