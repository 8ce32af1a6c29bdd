"""Matching a listed stream with the receivers that may legally take it, ranked, each rank in words.

Legality is not decided here: `legal_receivers` (transfers.services.receivers) is asked for the stream's
code and one month's tonnes, on the first day of the stream's window that is not past; a receiver whose
licence has expired by then, or whose licensed room is less than a month's tonnes, is not offered. That is
the same question the manifest form asks when the match becomes a manifest.

The order, each step deciding only between receivers the steps before left equal:

1. the waste hierarchy: a receiver that may utilize the waste before one that may only dispose of it, and
   disposal before storage;
2. the record: a receiver that refused or short-weighed more than POOR_RECORD_SHARE of at least
   POOR_RECORD_LOADS loads received over the last 12 months comes after one that did not;
3. distance, nearest first (great-circle km between the enterprises' positions; unknown last);
4. licensed room left this year, largest first (no licence needed: unknown, last);
5. name.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry.models import MethodKind
from transfers.models import Acceptance, Manifest
from transfers.services.receivers import ReceiverOption, legal_receivers

from ..models.exchange import ListingStatus, OfferListing, StreamListing
from .opportunities import distance_between

HIERARCHY = (MethodKind.UTILIZATION, MethodKind.DISPOSAL, MethodKind.STORAGE)
POOR_RECORD_LOADS = 5
POOR_RECORD_SHARE = Decimal("0.10")
RECORD_DAYS = 365


@dataclass(frozen=True)
class Record:
    """A receiver's loads over the last RECORD_DAYS: received, refused in whole or part, short or over."""

    loads: int = 0
    refused: int = 0
    discrepancies: int = 0

    @property
    def is_poor(self) -> bool:
        return self.loads >= POOR_RECORD_LOADS and Decimal(self.refused + self.discrepancies) > (
            POOR_RECORD_SHARE * self.loads
        )


@dataclass(frozen=True)
class Match:
    option: ReceiverOption
    kind: str  # the best purpose the receiver may take the stream for
    distance_km: float | None
    record: Record
    offers: tuple[OfferListing, ...] = ()
    reasons: list[str] = field(default_factory=list, compare=False)

    @property
    def receiver(self):
        return self.option.enterprise

    @property
    def remaining_t(self) -> Decimal | None:
        return self.option.remaining_by_kind.get(self.kind) if self.option.remaining_by_kind else None


def matching_day(stream: StreamListing, today: date | None = None) -> date:
    """The day legality is judged on: today, or the window's start if it has not begun."""
    today = today or timezone.localdate()
    return max(today, stream.available_from)


def records_of(receiver_ids: list[int], *, today: date) -> dict[int, Record]:
    """Each receiver's loads over the last RECORD_DAYS, from every consignor (one query)."""
    since = today - timedelta(days=RECORD_DAYS)
    rows = (
        Manifest.objects.filter(receiver_id__in=receiver_ids, received_at__date__gte=since)
        .values("receiver_id")
        .annotate(
            loads=Count("pk", distinct=True),
            refused=Count(
                "pk",
                distinct=True,
                filter=Q(lines__acceptance__in=[Acceptance.REJECTED, Acceptance.PARTIALLY_REJECTED]),
            ),
            discrepancies=Count("pk", distinct=True, filter=Q(has_discrepancy=True)),
        )
        .order_by()
    )
    return {
        row["receiver_id"]: Record(loads=row["loads"], refused=row["refused"], discrepancies=row["discrepancies"])
        for row in rows
    }


def _offers_for(stream: StreamListing, receiver_ids: list[int]) -> dict[int, list[OfferListing]]:
    code = stream.waste_code
    found: dict[int, list[OfferListing]] = {}
    for offer in (
        OfferListing.objects.filter(status=ListingStatus.OPEN, enterprise_id__in=receiver_ids)
        .filter(Q(waste_code=code) | Q(category_id=code.category_id))
        .select_related("method")
    ):
        found.setdefault(offer.enterprise_id, []).append(offer)
    return found


def _reasons(match: Match, stream: StreamListing) -> list[str]:
    reasons = []
    values = {"code": stream.waste_code.code}
    if match.kind == MethodKind.UTILIZATION:
        reasons.append(_("May utilize %(code)s: utilization comes first in the waste hierarchy.") % values)
    elif match.kind == MethodKind.DISPOSAL:
        reasons.append(_("May only dispose of %(code)s: ranked after every receiver that may utilize it.") % values)
    else:
        reasons.append(_("May only store %(code)s: ranked after utilization and disposal.") % values)
    record = match.record
    if record.loads == 0:
        reasons.append(_("No loads received on the platform in the last 12 months."))
    else:
        reasons.append(
            ngettext(
                "%(loads)s load received in the last 12 months: %(refused)s refused in whole or part, "
                "%(discrepancies)s with a quantity discrepancy.",
                "%(loads)s loads received in the last 12 months: %(refused)s refused in whole or part, "
                "%(discrepancies)s with a quantity discrepancy.",
                record.loads,
            )
            % {"loads": record.loads, "refused": record.refused, "discrepancies": record.discrepancies}
        )
        if record.is_poor:
            reasons.append(
                _("More than %(share)s%% of its loads had a problem: ranked after receivers with a better record.")
                % {"share": int(POOR_RECORD_SHARE * 100)}
            )
    if match.distance_km is None:
        reasons.append(_("Distance unknown: a position is missing; ranked after receivers at a known distance."))
    else:
        reasons.append(_("%(km)s km away.") % {"km": match.distance_km})
    if match.remaining_t is None:
        reasons.append(_("General industrial solid waste needs no licence: its capacity is not known."))
    else:
        reasons.append(
            _("%(tonnes)s t left this year on its licence %(permits)s.")
            % {"tonnes": f"{match.remaining_t:,.2f}", "permits": ", ".join(match.option.permit_numbers)}
        )
    if match.option.is_cross_province:
        reasons.append(
            _("In another province: transfer approval %(numbers)s in force.")
            % {"numbers": ", ".join(match.option.approval_numbers) or _("(filing)")}
        )
    for offer in match.offers:
        if offer.gate_fee_yuan_per_t is not None:
            reasons.append(
                _("Has published an offer for %(method)s at %(fee)s yuan/t.")
                % {"method": offer.method.code, "fee": offer.gate_fee_yuan_per_t}
            )
        else:
            reasons.append(_("Has published an offer for %(method)s.") % {"method": offer.method.code})
    return reasons


def rank_matches(stream: StreamListing, *, today: date | None = None) -> list[Match]:
    """The receivers that may take a month of the stream, in rank order, each with its reasons."""
    if stream.status != ListingStatus.OPEN:
        return []
    day = matching_day(stream, today)
    if stream.available_to is not None and day > stream.available_to:
        return []
    options = legal_receivers(
        consignor=stream.enterprise, waste_code=stream.waste_code, day=day, quantity=stream.monthly_t
    )
    ids = [option.enterprise.pk for option in options]
    records = records_of(ids, today=today or timezone.localdate())
    offers = _offers_for(stream, ids)
    matches = []
    for option in options:
        kind = next(kind for kind in HIERARCHY if kind in option.method_kinds)
        match = Match(
            option=option,
            kind=kind,
            distance_km=distance_between(stream.enterprise, option.enterprise),
            record=records.get(option.enterprise.pk, Record()),
            offers=tuple(offers.get(option.enterprise.pk, ())),
        )
        match.reasons.extend(_reasons(match, stream))
        matches.append(match)
    matches.sort(
        key=lambda m: (
            HIERARCHY.index(m.kind),
            m.record.is_poor,
            m.distance_km is None,
            m.distance_km or 0.0,
            m.remaining_t is None,
            -(m.remaining_t or 0),
            m.receiver.name,
        )
    )
    return matches
