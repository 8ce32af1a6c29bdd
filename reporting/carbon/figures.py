"""CO2e avoided by utilization, per enterprise and period, from the same utilized tonnes as the utilization rate.

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


def utilized_by_route(*, enterprise_ids: EnterpriseIds, period: Period) -> dict[tuple[str, str, str], Decimal]:
    """(code, category, method) → utilized tonnes in the period for the given enterprises together."""
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    shipped = (
        ManifestLine.objects.filter(
            manifest__consignor_id__in=enterprise_ids,
            treated_at__gte=period.start,
            treated_at__lt=period.end,
            treatment_method__kind=MethodKind.UTILIZATION,
        )
        .values_list("waste_code__code", "waste_code__category__code", "treatment_method__code")
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
        .values_list("waste_code__code", "waste_code__category__code", F("method__code"))
        .annotate(t=Sum("quantity_t"))
    )
    for code, category, method, tonnes in [*shipped, *in_house]:
        totals[(code, category, method or "")] += tonnes or Decimal(0)
    return dict(totals)


def avoided(*, enterprise_ids: EnterpriseIds, period: Period, edition: CarbonFactorEdition | None) -> CarbonFigure:
    """The avoided CO2e of the enterprises' utilization in the period, by the factors of `edition`."""
    figure = CarbonFigure(edition=edition.label if edition else None)
    factors = dict(edition.factors.filter(kind=FactorKind.AVOIDED).values_list("route", "factor")) if edition else {}
    total: Decimal | None = None
    for (code, category, method), tonnes in sorted(
        utilized_by_route(enterprise_ids=enterprise_ids, period=period).items()
    ):
        factor = factors.get(f"{code}:{method}", factors.get(f"{category}:{method}"))
        if factor is None:
            figure.not_estimated_t += tonnes
            figure.not_estimated_routes.append(f"{code}:{method or '-'}")
            continue
        total = (total or Decimal(0)) + tonnes * factor
        figure.covered_t += tonnes
    figure.avoided_t_co2e = total
    return figure


def carbon_of(*, subject, period: Period) -> CarbonFigure:
    """The dashboard's figure: a park's or province's enterprises (reporting.services.dashboard.Subject) together."""
    # A subquery, not a list: the dashboard counts its queries.
    ids = subject.enterprises().values("pk")
    return avoided(enterprise_ids=ids, period=period, edition=current_edition())


# Manifests carry no transport mode: every load is taken as road freight, the route key below.
ROAD = "transport:road"


@dataclass
class TransportFigure:
    edition: str | None
    emitted_t_co2e: Decimal | None = None
    tonne_km: Decimal = Decimal(0)
    not_estimated_t: Decimal = Decimal(0)


def transport(*, enterprise_ids: EnterpriseIds, period: Period, edition: CarbonFactorEdition | None) -> TransportFigure:
    """CO2e of carrying the enterprises' shipments received in the period: great-circle km between consignor and
    receiver × received tonnes × the road factor. Loads without both positions, or without a factor, are not
    estimated (their tonnes are reported)."""
    figure = TransportFigure(edition=edition.label if edition else None)
    factor = edition.factors.filter(route=ROAD).values_list("factor", flat=True).first() if edition else None
    lines = ManifestLine.objects.filter(
        manifest__consignor_id__in=enterprise_ids,
        manifest__received_at__gte=period.start,
        manifest__received_at__lt=period.end,
        received_quantity_t__isnull=False,
    ).values_list(
        "received_quantity_t",
        "manifest__consignor__latitude",
        "manifest__consignor__longitude",
        "manifest__receiver__latitude",
        "manifest__receiver__longitude",
    )
    for tonnes, lat1, lon1, lat2, lon2 in lines:
        if factor is None or lat1 is None or lon1 is None or lat2 is None or lon2 is None:
            figure.not_estimated_t += tonnes
            continue
        km = Decimal(str(round(haversine_km((float(lat1), float(lon1)), (float(lat2), float(lon2))), 3)))
        figure.tonne_km += tonnes * km
    if factor is not None and figure.tonne_km:
        figure.emitted_t_co2e = figure.tonne_km * factor
    return figure
