"""CO2e avoided by utilization, per enterprise and period, from the same utilized tonnes as the utilization rate,
and CO2e emitted by carrying the enterprises' shipments.

Tonnes are attributed as reporting.services.utilization counts them: a manifest line's treated quantity belongs
to its consignor in the month of `treated_at`, and in-house utilization (not tied to a manifest line) to the
enterprise that recorded it. A route is `<waste code>:<method>`, else `<category>:<method>`. A route with no
factor in the edition is not estimated: its tonnes are reported as not covered and the figure is None, never 0.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, QuerySet, Sum

from registry.geo import haversine_km
from registry.models import MethodKind
from transfers.models import LedgerEntry, LedgerStage, ManifestLine
from wasteparks.periods import Period

from ..models.carbon import CarbonFactorEdition, FactorKind
from .factors import current_edition

# Enterprise ids, or a queryset of them (`values("pk")`) to read them in the same query.
EnterpriseIds = list[int] | QuerySet


@dataclass
class CarbonFigure:
    edition: str | None
    avoided_t_co2e: Decimal | None = None
    covered_t: Decimal = Decimal(0)
    not_estimated_t: Decimal = Decimal(0)
    not_estimated_routes: list[str] = field(default_factory=list)


def _utilized_rows(*, enterprise_ids: EnterpriseIds, period: Period):
    """(enterprise id, code, category, method, tonnes) utilized in the period: treated at a receiver (counted at
    the consignor) and in house. One query for both (unordered: SQLite refuses ORDER BY in a part of a UNION):
    the dashboard counts its queries."""
    shipped = (
        ManifestLine.objects.filter(
            manifest__consignor_id__in=enterprise_ids,
            treated_at__gte=period.start,
            treated_at__lt=period.end,
            treatment_method__kind=MethodKind.UTILIZATION,
        )
        .order_by()
        .values_list(
            "manifest__consignor_id", "waste_code__code", "waste_code__category__code", "treatment_method__code"
        )
        .annotate(t=Sum("treated_quantity_t"))
    )
    in_house = (
        LedgerEntry.objects.filter(
            enterprise_id__in=enterprise_ids,
            stage=LedgerStage.UTILIZED_IN_HOUSE,
            manifest_line__isnull=True,
            occurred_at__gte=period.start,
            occurred_at__lt=period.end,
        )
        .order_by()
        .values_list("enterprise_id", "waste_code__code", "waste_code__category__code", F("method__code"))
        .annotate(t=Sum("quantity_t"))
    )
    return shipped.union(in_house, all=True)


def utilized_by_route(*, enterprise_ids: EnterpriseIds, period: Period) -> dict[tuple[str, str, str], Decimal]:
    """(code, category, method) → utilized tonnes in the period for the given enterprises together."""
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for _enterprise, code, category, method, tonnes in _utilized_rows(enterprise_ids=enterprise_ids, period=period):
        totals[(code, category, method or "")] += tonnes or Decimal(0)
    return dict(totals)


def _avoided_factors(edition: CarbonFactorEdition | None) -> dict[str, Decimal]:
    return dict(edition.factors.filter(kind=FactorKind.AVOIDED).values_list("route", "factor")) if edition else {}


def _avoided_of(routes: dict, *, factors: dict[str, Decimal], edition: CarbonFactorEdition | None) -> CarbonFigure:
    figure = CarbonFigure(edition=edition.label if edition else None)
    total: Decimal | None = None
    for (code, category, method), tonnes in sorted(routes.items()):
        factor = factors.get(f"{code}:{method}", factors.get(f"{category}:{method}"))
        if factor is None:
            figure.not_estimated_t += tonnes
            figure.not_estimated_routes.append(f"{code}:{method or '-'}")
            continue
        total = (total or Decimal(0)) + tonnes * factor
        figure.covered_t += tonnes
    figure.avoided_t_co2e = total
    return figure


def avoided(*, enterprise_ids: EnterpriseIds, period: Period, edition: CarbonFactorEdition | None) -> CarbonFigure:
    """The avoided CO2e of the enterprises' utilization in the period, by the factors of `edition`."""
    routes = utilized_by_route(enterprise_ids=enterprise_ids, period=period)
    return _avoided_of(routes, factors=_avoided_factors(edition), edition=edition)


# Manifests carry no transport mode: every load is taken as road freight, the route key below.
ROAD = "transport:road"


@dataclass
class TransportFigure:
    edition: str | None
    # The edition's road factor (t CO2e per t·km); None: the edition has none and nothing is estimated.
    road_factor: Decimal | None = None
    emitted_t_co2e: Decimal | None = None
    tonne_km: Decimal = Decimal(0)
    not_estimated_t: Decimal = Decimal(0)


def _road_factor(edition: CarbonFactorEdition | None) -> Decimal | None:
    return edition.factors.filter(route=ROAD).values_list("factor", flat=True).first() if edition else None


def _carried_rows(*, enterprise_ids: EnterpriseIds, period: Period):
    """(consignor id, received t, consignor lat, lon, receiver lat, lon) of the loads received in the period."""
    return ManifestLine.objects.filter(
        manifest__consignor_id__in=enterprise_ids,
        manifest__received_at__gte=period.start,
        manifest__received_at__lt=period.end,
        received_quantity_t__isnull=False,
    ).values_list(
        "manifest__consignor_id",
        "received_quantity_t",
        "manifest__consignor__latitude",
        "manifest__consignor__longitude",
        "manifest__receiver__latitude",
        "manifest__receiver__longitude",
    )


def _transport_of(rows, *, factor: Decimal | None, edition: CarbonFactorEdition | None) -> TransportFigure:
    figure = TransportFigure(edition=edition.label if edition else None, road_factor=factor)
    for tonnes, lat1, lon1, lat2, lon2 in rows:
        if factor is None or lat1 is None or lon1 is None or lat2 is None or lon2 is None:
            figure.not_estimated_t += tonnes
            continue
        km = Decimal(str(round(haversine_km((float(lat1), float(lon1)), (float(lat2), float(lon2))), 3)))
        figure.tonne_km += tonnes * km
    # Nothing carried is 0 t emitted; loads none of which could be measured are not estimated.
    if factor is not None and (figure.tonne_km or not figure.not_estimated_t):
        figure.emitted_t_co2e = figure.tonne_km * factor
    return figure


def transport(*, enterprise_ids: EnterpriseIds, period: Period, edition: CarbonFactorEdition | None) -> TransportFigure:
    """CO2e of carrying the enterprises' shipments received in the period: great-circle km between consignor and
    receiver × received tonnes × the road factor. Loads without both positions, or without a factor, are not
    estimated (their tonnes are reported)."""
    rows = (row[1:] for row in _carried_rows(enterprise_ids=enterprise_ids, period=period))
    return _transport_of(rows, factor=_road_factor(edition), edition=edition)


@dataclass
class SubjectCarbon:
    """Both figures of one subject and period, by the same factor edition."""

    avoided: CarbonFigure
    transport: TransportFigure


def carbon_of(*, enterprise_ids: EnterpriseIds, period: Period) -> SubjectCarbon:
    """The pages' figures (the dashboard's park or province, an enterprise) by the current edition. The
    dashboard passes a subquery, not a list: it counts its queries, the same few whatever the number of
    enterprises."""
    edition = current_edition()
    return SubjectCarbon(
        avoided=avoided(enterprise_ids=enterprise_ids, period=period, edition=edition),
        transport=transport(enterprise_ids=enterprise_ids, period=period, edition=edition),
    )


def carbon_by_enterprise(*, enterprise_ids: list[int], period: Period) -> dict[int, SubjectCarbon]:
    """Each enterprise's figures, as carbon_of gives them one by one, in a fixed number of queries."""
    edition = current_edition()
    routes: dict[int, dict] = defaultdict(lambda: defaultdict(Decimal))
    for enterprise, code, category, method, tonnes in _utilized_rows(enterprise_ids=enterprise_ids, period=period):
        routes[enterprise][(code, category, method or "")] += tonnes or Decimal(0)
    carried: dict[int, list] = defaultdict(list)
    for enterprise, *row in _carried_rows(enterprise_ids=enterprise_ids, period=period):
        carried[enterprise].append(row)
    factors, road = _avoided_factors(edition), _road_factor(edition)
    return {
        pk: SubjectCarbon(
            avoided=_avoided_of(routes.get(pk, {}), factors=factors, edition=edition),
            transport=_transport_of(carried.get(pk, []), factor=road, edition=edition),
        )
        for pk in enterprise_ids
    }
