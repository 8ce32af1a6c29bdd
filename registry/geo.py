"""Distances on the earth's surface, on a sphere of the mean earth radius: pure functions, no database.

Good to a few tenths of a per cent (the earth is not a sphere), far finer than the corridors and
allowances they are compared with.
"""

from math import asin, cos, radians, sin, sqrt

# IUGG mean earth radius (km).
EARTH_RADIUS_KM = 6371.0088

Point = tuple[float, float]  # (latitude, longitude) in degrees


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance in km between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(radians, (a[0], a[1], b[0], b[1]))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def distance_to_segment_km(point: Point, start: Point, end: Point) -> float:
    """Distance in km from `point` to the segment start → end.

    Projected onto a local plane (equirectangular, at the segment's mean latitude) to find the nearest
    point of the segment, then measured with haversine. Within a province (segments of a few hundred km)
    the projection's error is far below a corridor's width.
    """
    mean_lat = radians((start[0] + end[0]) / 2)

    def xy(p: Point) -> tuple[float, float]:
        return radians(p[1]) * cos(mean_lat), radians(p[0])

    (px, py), (sx, sy), (ex, ey) = xy(point), xy(start), xy(end)
    dx, dy = ex - sx, ey - sy
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - sx) * dx + (py - sy) * dy) / length2))
    nearest = (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
    return haversine_km(point, nearest)
