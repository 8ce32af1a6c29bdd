"""Opportunities for officers: streams a park sends to disposal that a licensed utilizer could take.

A stream is what one consignor of the park shipped under one waste code and saw treated by a disposal
method over the rolling 12 months the park's utilization rate covers (reporting.services.utilization:
manifest lines counted at the consignor, by the kind of their treatment method, in the month of
`treated_at`). It is an opportunity when `legal_receivers` offers, for those tonnes and today, at least
one receiver in the same province whose covering licence lines allow utilization. No second legality
check is written here: the one in transfers.services.receivers decides.

The gain is the rise, in percentage points, of the park's rolling utilization rate of the stream's
waste class (utilized / (generated + utilized from prior years' storage); `window_rates`) if the
stream's tonnes had been utilized instead of disposed of: the park's window totals with the tonnes
moved from `disposed_t` to `utilized_t`, through `rates_of`, the one formula the dashboard and the
warnings use. Moving tonnes between utilization and disposal leaves the generation and the treatment
from prior storage unchanged; the utilization from prior storage would only change for a consignor
that utilized more than it generated in the year, which such a stream does not create (stated, not
modelled). Streams kept in storage are not listed yet: what moving stock changes in the prior-storage
terms needs its own worked example.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from registry.geo import haversine_km
from registry.models import Enterprise, MethodKind, Park, WasteCode
from transfers.models import ManifestLine
from transfers.services.receivers import ReceiverOption, legal_receivers
from wasteparks.periods import Period

from ..models.utilization import SnapshotScope, UtilizationSnapshot, rates_of

ZERO = Decimal("0")
WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Candidate:
    option: ReceiverOption
    distance_km: float | None


@dataclass(frozen=True)
class Opportunity:
    park: Park
    consignor: Enterprise
    waste_code: WasteCode
    tonnes: Decimal
    rate_now_pct: Decimal | None
    rate_if_utilized_pct: Decimal | None
    candidates: tuple[Candidate, ...]

    @property
    def gain_points(self) -> Decimal | None:
        if self.rate_now_pct is None or self.rate_if_utilized_pct is None:
            return None
        return self.rate_if_utilized_pct - self.rate_now_pct


def rolling_window(now: datetime | None = None) -> Period:
    """The rolling 12 months ending with the current month: the dashboard's window."""
    return Period.containing(now).rolling(WINDOW_MONTHS)


def park_window_totals(*, park_ids: list[int], window: Period) -> dict[tuple[int, str], dict]:
    """The parks' window totals per (park id, waste class), all categories (one query)."""
    rows = UtilizationSnapshot.objects.filter(
        scope=SnapshotScope.PARK, park_id__in=park_ids, category_code=""
    ).window_totals(window, "park_id", "waste_class")
    return {(row["park_id"], row["waste_class"]): row for row in rows}


def utilization_rate_with(totals: dict | None, *, moved_t: Decimal = ZERO) -> Decimal | None:
    """The utilization rate of a window's totals with `moved_t` tonnes moved from disposal to
    utilization (0: the rate as it stands)."""
    if totals is None:
        return None
    adjusted = dict(totals)
    adjusted["utilized_t"] = totals["utilized_t"] + moved_t
    adjusted["disposed_t"] = totals["disposed_t"] - moved_t
    return rates_of(adjusted)[0]


def position_of(enterprise: Enterprise) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees, or None when either is not known."""
    if enterprise.latitude is None or enterprise.longitude is None:
        return None
    return (float(enterprise.latitude), float(enterprise.longitude))


def distance_between(a: Enterprise, b: Enterprise) -> float | None:
    """Great-circle km between two enterprises, to 0.1 km; None when either has no position."""
    pa, pb = position_of(a), position_of(b)
    return round(haversine_km(pa, pb), 1) if pa and pb else None


def disposal_streams(*, parks, window: Period):
    """(consignor id, waste code id, tonnes) treated by disposal methods over the window, per consignor
    of the parks and code."""
    return (
        ManifestLine.objects.filter(
            manifest__consignor__park__in=parks,
            treatment_method__kind=MethodKind.DISPOSAL,
            treated_quantity_t__isnull=False,
            treated_at__gte=window.start,
            treated_at__lt=window.end,
        )
        .order_by()
        .values("manifest__consignor_id", "waste_code_id")
        .annotate(tonnes=Sum("treated_quantity_t"))
    )


def find_opportunities(*, parks, now: datetime | None = None) -> list[Opportunity]:
    """The opportunities of the given parks (a queryset already scoped to the caller), by gain, highest
    first."""
    window = rolling_window(now)
    day = timezone.localdate(now) if now is not None else timezone.localdate()
    parks_by_id = {park.pk: park for park in parks.select_related("division")}
    streams = list(disposal_streams(parks=list(parks_by_id), window=window))
    if not streams:
        return []
    consignors = Enterprise.objects.select_related("park__division").in_bulk(
        {row["manifest__consignor_id"] for row in streams}
    )
    codes = WasteCode.objects.in_bulk({row["waste_code_id"] for row in streams})
    totals = park_window_totals(park_ids=list(parks_by_id), window=window)
    found = []
    for row in streams:
        consignor = consignors[row["manifest__consignor_id"]]
        code = codes[row["waste_code_id"]]
        province = consignor.park.division.province_code
        options = [
            option
            for option in legal_receivers(consignor=consignor, waste_code=code, day=day, quantity=row["tonnes"])
            if MethodKind.UTILIZATION in option.method_kinds
            and option.enterprise.park.division.province_code == province
        ]
        if not options:
            continue
        park_totals = totals.get((consignor.park_id, code.waste_class))
        candidates = sorted(
            (Candidate(option=o, distance_km=distance_between(consignor, o.enterprise)) for o in options),
            key=lambda c: (c.distance_km is None, c.distance_km or 0.0, c.option.enterprise.name),
        )
        found.append(
            Opportunity(
                park=parks_by_id[consignor.park_id],
                consignor=consignor,
                waste_code=code,
                tonnes=row["tonnes"],
                rate_now_pct=utilization_rate_with(park_totals),
                rate_if_utilized_pct=utilization_rate_with(park_totals, moved_t=row["tonnes"]),
                candidates=tuple(candidates),
            )
        )
    found.sort(key=lambda o: (o.gain_points is None, -(o.gain_points or ZERO), -o.tonnes, o.consignor.name))
    return found
