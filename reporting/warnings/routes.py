"""Early-warning rules on a manifest's journey (docs/telemetry.md):

    VEHICLE_OFF_ROUTE   the carrier's GPS unit places a vehicle in transit farther than the park's corridor
                        from the plausible route consignor → receiver
    TRANSIT_TOO_LONG    in transit longer than the distance consignor → receiver should take: the
                        straight-line distance × the detour factor / the average speed + the allowance

Without a road network, the plausible route is the great-circle segment between the two enterprises'
coordinates; an enterprise without coordinates gives no route, and neither rule says anything about it.
MANIFEST_OVERDUE stays the regulatory day limit for every manifest; TRANSIT_TOO_LONG is the finer
check, in hours, of a journey whose length is known.
"""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Subquery

from registry.geo import distance_to_segment_km, haversine_km
from transfers.models import Manifest, ManifestStatus

from ..models.thresholds import ThresholdKey
from .base import Context, Finding, Rule, text
from .devices import LOOK_BACK, vehicle_finding, vehicle_positions

K = ThresholdKey
ROUTE_FIELDS = (
    "pk",
    "number",
    "vehicle_plate",
    "carrier_id",
    "consignor_id",
    "consignor__park_id",
    "consignor__latitude",
    "consignor__longitude",
    "receiver__latitude",
    "receiver__longitude",
)


def _routed_in_transit():
    """Manifests in transit whose consignor and receiver both have coordinates."""
    return Manifest.objects.filter(
        status=ManifestStatus.IN_TRANSIT,
        consignor__latitude__isnull=False,
        consignor__longitude__isnull=False,
        receiver__latitude__isnull=False,
        receiver__longitude__isnull=False,
    )


def _ends(row) -> tuple[tuple[float, float], tuple[float, float]]:
    start = (float(row["consignor__latitude"]), float(row["consignor__longitude"]))
    end = (float(row["receiver__latitude"]), float(row["receiver__longitude"]))
    return start, end


def _km(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"))


class VehicleOffRoute(Rule):
    """The latest position (within a day) of the carrier's GPS unit on a manifest in transit lies
    farther than the park's corridor from the segment consignor → receiver."""

    code = "VEHICLE_OFF_ROUTE"
    message_zh = (
        "联单 {number} 的运输车辆 {plate} 偏离合理路线 {distance} 公里（允许 {corridor} 公里），位置 {lat},{lon}。"
    )
    message_en = (
        "The vehicle {plate} of manifest {number} is {distance} km off the plausible route "
        "(allowed {corridor} km) at {lat},{lon}."
    )

    def findings(self, ctx: Context) -> list[Finding]:
        positions = (
            vehicle_positions(since=ctx.now - LOOK_BACK)
            .filter(latitude__isnull=False, longitude__isnull=False)
            .order_by("-measured_at")
        )
        rows = (
            _routed_in_transit()
            .annotate(
                latest_at=Subquery(positions.values("measured_at")[:1]),
                lat=Subquery(positions.values("latitude")[:1]),
                lon=Subquery(positions.values("longitude")[:1]),
            )
            .filter(latest_at__isnull=False)
            .values(*ROUTE_FIELDS, "latest_at", "lat", "lon")
        )
        result = []
        for row in rows:
            corridor = ctx.thresholds.for_park(row["consignor__park_id"])[K.ROUTE_CORRIDOR_KM]
            start, end = _ends(row)
            off = distance_to_segment_km((float(row["lat"]), float(row["lon"])), start, end)
            if off <= float(corridor):
                continue
            distance = _km(off)
            result.append(
                vehicle_finding(
                    self,
                    row,
                    params={"distance": distance, "corridor": corridor},
                    evidence={"off_route_km": text(distance), "corridor_km": text(Decimal(corridor))},
                )
            )
        return result


class TransitTooLong(Rule):
    """In transit (since pick-up) longer than the expected journey: straight-line distance × detour
    factor / average speed + allowance, each the consignor's park's."""

    code = "TRANSIT_TOO_LONG"
    message_zh = "联单 {number} 已运输 {hours} 小时，超过预计的 {expected} 小时（直线距离 {distance} 公里）。"
    message_en = (
        "Manifest {number} has been in transit for {hours} hours, longer than the expected {expected} hours "
        "({distance} km in a straight line)."
    )

    def findings(self, ctx: Context) -> list[Finding]:
        rows = _routed_in_transit().filter(picked_up_at__isnull=False).values(*ROUTE_FIELDS, "picked_up_at")
        result = []
        for row in rows:
            values = ctx.thresholds.for_park(row["consignor__park_id"])
            straight = haversine_km(*_ends(row))
            expected_hours = straight * float(values[K.ROUTE_DETOUR_FACTOR]) / float(
                values[K.TRANSIT_SPEED_KMH]
            ) + float(values[K.TRANSIT_ALLOWANCE_HOURS])
            in_transit = ctx.now - row["picked_up_at"]
            if in_transit <= timedelta(hours=expected_hours):
                continue
            hours = _km(in_transit.total_seconds() / 3600)
            expected = _km(expected_hours)
            distance = _km(straight)
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"]),
                    park_id=row["consignor__park_id"],
                    enterprise_id=row["consignor_id"],
                    manifest_id=row["pk"],
                    params={"number": row["number"], "hours": hours, "expected": expected, "distance": distance},
                    evidence={
                        "picked_up_at": text(row["picked_up_at"]),
                        "hours_in_transit": text(hours),
                        "expected_hours": text(expected),
                        "straight_km": text(distance),
                    },
                )
            )
        return result
