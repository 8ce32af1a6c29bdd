"""The symbiosis network of parks: who sent waste to whom, and who could take what is disposed of today.

Actual flows are the manifest lines treated over the rolling window of the opportunities and the
dashboard (`rolling_window`), counted as reporting.services.utilization counts them: the treated
quantity belongs to the consignor, by the kind of the line's treatment method, in the window of
`treated_at`. A flow is drawn from a consignor of the parks to its receiver, wherever the receiver is.
Potential links are the opportunities (`find_opportunities`): from the consignor of a disposed stream to
each licensed utilizer that could legally take it, with the stream's tonnes and waste code.

The network is laid out for a drawing of WIDTH × HEIGHT: on the map when every enterprise in it has
coordinates (and no two share a point), else evenly on a circle in the order of their names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from math import cos, log10, pi, radians, sin, sqrt
from typing import TYPE_CHECKING

from django.db.models import BooleanField, ExpressionWrapper, Q, Sum
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, MethodKind, WasteCode
from transfers.models import ManifestLine

from .opportunities import find_opportunities, position_of, rolling_window

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from wasteparks.periods import Period

POTENTIAL = "potential"

WIDTH, HEIGHT, MARGIN = 960, 560, 80
NODE_RADIUS = 9
# Names written on the drawing: the enterprises with the most tonnes in and out. A park's sixty names would
# cover each other; the table below the drawing names every link.
LABELLED = 12
LABEL_FONT = 12  # px: the names' size on the drawing, and about the width of one Chinese character
# Parallel links between the same two enterprises are drawn side by side, this far apart (px) edge to edge.
LINK_GAP = 3.0


@dataclass(frozen=True)
class LinkStyle:
    """How one kind of link is drawn and named in the legend: the one place its colour is chosen."""

    kind: str
    label: StrOrPromise
    colour: str
    dashed: bool = False


# Colours keep a contrast of at least 3:1 on white (WCAG 2.1, non-text contrast); the potential links are
# dashed as well as blue, so that they do not rest on colour alone.
STYLES = {
    MethodKind.UTILIZATION: LinkStyle(MethodKind.UTILIZATION, _("Utilization"), "#1b7f3b"),
    MethodKind.DISPOSAL: LinkStyle(MethodKind.DISPOSAL, _("Disposal"), "#6b7280"),
    MethodKind.STORAGE: LinkStyle(MethodKind.STORAGE, _("Storage"), "#b45f06"),
    POTENTIAL: LinkStyle(POTENTIAL, _("Potential utilization"), "#1d4ed8", dashed=True),
}
ORDER = list(STYLES)


@dataclass(frozen=True)
class Node:
    enterprise: Enterprise
    x: float
    y: float
    in_parks: bool  # False for a receiver outside the parks the network was drawn for
    labelled: bool = True  # its name written beside it (the busiest LABELLED); every node names itself on hover
    label_dy: str = "2em"  # where the name stands: under the circle, or where it covers no other name
    label_anchor: str = "middle"  # SVG text-anchor: "end" or "start" near the drawing's sides


@dataclass(frozen=True)
class Link:
    source: Node
    target: Node
    kind: str  # a MethodKind value for an actual flow, POTENTIAL for a potential link
    tonnes: Decimal
    waste_code: WasteCode | None  # potential links only: a flow may carry several codes
    # The line as drawn: moved aside from its parallels, and stopping at the edge of both circles.
    x1: float = 0.0
    y1: float = 0.0
    x2: float = 0.0
    y2: float = 0.0

    @property
    def style(self) -> LinkStyle:
        return STYLES[self.kind]

    @property
    def stroke_width(self) -> float:
        """Wider with the log of the tonnes: 1 t and 10,000 t both stay readable on one drawing."""
        return round(min(1.5 + 1.5 * log10(1 + float(self.tonnes)), 10.0), 2)


@dataclass(frozen=True)
class Network:
    nodes: list[Node]
    links: list[Link]
    width: int = WIDTH
    height: int = HEIGHT
    node_radius: int = NODE_RADIUS

    @property
    def legend(self) -> list[LinkStyle]:
        return [STYLES[kind] for kind in ORDER]


@dataclass(frozen=True)
class LinkFigures:
    """A link before it is drawn: who to whom, of what kind, how many tonnes."""

    source_id: int
    target_id: int
    kind: str
    tonnes: Decimal
    waste_code: WasteCode | None = None


def actual_flows(*, parks, window: Period) -> list[LinkFigures]:
    """Tonnes treated over the window per consignor of the parks, receiver and kind of method (one query)."""
    rows = (
        ManifestLine.objects.filter(
            manifest__consignor__park__in=parks,
            treatment_method__isnull=False,
            treated_quantity_t__isnull=False,
            treated_at__gte=window.start,
            treated_at__lt=window.end,
        )
        .order_by()
        .values("manifest__consignor_id", "manifest__receiver_id", "treatment_method__kind")
        .annotate(tonnes=Sum("treated_quantity_t"))
    )
    return [
        LinkFigures(
            row["manifest__consignor_id"], row["manifest__receiver_id"], row["treatment_method__kind"], row["tonnes"]
        )
        for row in rows
    ]


def symbiosis_network(*, parks, now: datetime | None = None) -> Network:
    """The network of the given parks (a queryset already scoped to the caller).

    Queries: one for the flows, one for the enterprises, and what `find_opportunities` asks (a fixed
    number, and one `legal_receivers` check per disposed stream); none per enterprise or per flow.
    """
    figures = actual_flows(parks=parks, window=rolling_window(now))
    for opportunity in find_opportunities(parks=parks, now=now):
        figures += [
            LinkFigures(
                opportunity.consignor.pk,
                candidate.option.enterprise.pk,
                POTENTIAL,
                opportunity.tonnes,
                opportunity.waste_code,
            )
            for candidate in opportunity.candidates
        ]
    if not figures:
        return Network(nodes=[], links=[])
    enterprises = (
        Enterprise.objects.filter(pk__in={f.source_id for f in figures} | {f.target_id for f in figures})
        .select_related("park")
        .annotate(in_parks=ExpressionWrapper(Q(park__in=parks), output_field=BooleanField()))
    )
    listed = list(enterprises)
    inside = {e.pk for e in listed if e.in_parks}
    carried: dict[int, Decimal] = defaultdict(Decimal)
    for figure in figures:
        carried[figure.source_id] += figure.tonnes
        carried[figure.target_id] += figure.tonnes
    # The busiest, and every receiver outside the parks (few, and far: the reader asks who they are).
    busiest = set(sorted(carried, key=lambda pk: (-carried[pk], pk))[:LABELLED]) | {
        e.pk for e in listed if e.pk not in inside
    }
    nodes = {
        node.enterprise.pk: replace(node, labelled=node.enterprise.pk in busiest)
        for node in labels_apart(laid_out(listed, inside=inside), busiest)
    }
    links = [Link(nodes[p.source_id], nodes[p.target_id], p.kind, p.tonnes, p.waste_code) for p in figures]
    links.sort(
        key=lambda link: (
            ORDER.index(link.kind),
            -link.tonnes,
            link.source.enterprise.name,
            link.target.enterprise.name,
        )
    )
    return Network(nodes=sorted(nodes.values(), key=_by_name), links=drawn(links))


def labels_apart(nodes: list[Node], labelled: set[int]) -> list[Node]:
    """Each name under its circle, else over it or a line lower where that covers no name placed before; near the
    drawing's side a name ends (or starts) at its circle so that it is not cut off."""
    placed: list[tuple[float, float, float, float]] = []  # left, top, right, bottom of the names so far
    moved: dict[int, Node] = {}
    for node in sorted((n for n in nodes if n.enterprise.pk in labelled), key=lambda n: (n.y, n.x)):
        width = LABEL_FONT * len(node.enterprise.name)
        anchor = "end" if node.x + width / 2 > WIDTH else "start" if node.x - width / 2 < 0 else "middle"
        left = {"end": node.x - width, "start": node.x, "middle": node.x - width / 2}[anchor]
        line = LABEL_FONT * 1.5
        # Where the name may go, in order: under the circle, over it, a line further down; the first free.
        spots = [
            ("2em", (left, node.y + NODE_RADIUS, left + width, node.y + NODE_RADIUS + line)),
            ("-1.2em", (left, node.y - NODE_RADIUS - line, left + width, node.y - NODE_RADIUS)),
            ("3.4em", (left, node.y + NODE_RADIUS + line, left + width, node.y + NODE_RADIUS + 2 * line)),
        ]
        dy, box = next((spot for spot in spots if not any(_overlap(spot[1], other) for other in placed)), spots[0])
        placed.append(box)
        moved[node.enterprise.pk] = replace(node, label_dy=dy, label_anchor=anchor)
    return [moved.get(n.enterprise.pk, n) for n in nodes]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _by_name(node: Node) -> tuple[str, int]:
    return (node.enterprise.name, node.enterprise.pk)


def laid_out(enterprises: Sequence[Enterprise], *, inside: set[int]) -> list[Node]:
    """Where each enterprise is drawn. When every enterprise of the parks has coordinates at a point of its
    own, they stand as on a map of the parks, and a receiver outside them on the drawing's frame in its
    direction from the parks (a recycler 100 km away must not shrink the park to a dot); otherwise every
    enterprise stands on a circle, in name order. `inside`: the ids of the enterprises of the parks."""
    enterprises = sorted(enterprises, key=lambda e: (e.name, e.pk))
    within = [e for e in enterprises if e.pk in inside]
    points = [position_of(e) for e in within]
    known = [p for p in points if p is not None]
    if len(known) == len(points) and len(set(known)) == len(known) and len(known) > 1:
        placed = dict(zip((e.pk for e in within), _fitted(known), strict=True))
        centre = (sum(lat for lat, _ in known) / len(known), sum(lon for _, lon in known) / len(known))
        outside = [e for e in enterprises if e.pk not in inside]
        placed |= dict(zip((e.pk for e in outside), _on_frame([position_of(e) for e in outside], centre), strict=True))
        positions = [placed[e.pk] for e in enterprises]
    else:
        positions = _on_circle(len(enterprises))
    return [
        Node(enterprise=e, x=round(x, 1), y=round(y, 1), in_parks=e.pk in inside)
        for e, (x, y) in zip(enterprises, positions, strict=True)
    ]


def _on_frame(points: list[tuple[float, float] | None], centre: tuple[float, float]) -> list[tuple[float, float]]:
    """Points outside the parks on a frame half a margin inside the drawing, where the line from the
    drawing's centre in the point's direction from `centre` meets it; without a position, along the
    bottom edge from the left."""
    centre_x, centre_y = WIDTH / 2, HEIGHT / 2
    half_w, half_h = WIDTH / 2 - MARGIN / 2, HEIGHT / 2 - MARGIN / 2
    shrink = cos(radians(centre[0]))
    found, unplaced = [], 0
    for point in points:
        if point is None or point == centre:
            found.append((MARGIN / 2 + unplaced * 4 * NODE_RADIUS, HEIGHT - MARGIN / 2))
            unplaced += 1
            continue
        east, north = (point[1] - centre[1]) * shrink, point[0] - centre[0]
        reach = min(half_w / abs(east) if east else float("inf"), half_h / abs(north) if north else float("inf"))
        found.append((centre_x + east * reach, centre_y - north * reach))
    return found


def _fitted(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points on a plane scaled alike on both axes to fill the drawing inside its margin, north up.

    Equirectangular at the points' mean latitude (as registry.geo does for a corridor): longitudes shrunk
    by its cosine, which keeps a park's or a province's shape true enough for a sketch of who sends what
    to whom."""
    shrink = cos(radians(sum(lat for lat, _ in points) / len(points)))
    east = [lon * shrink for _, lon in points]
    north = [lat for lat, _ in points]
    west_edge, north_edge = min(east), max(north)
    span_x, span_y = max(east) - west_edge, north_edge - min(north)
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    scale = min(inner_w / span_x if span_x else float("inf"), inner_h / span_y if span_y else float("inf"))
    left = MARGIN + (inner_w - span_x * scale) / 2
    top = MARGIN + (inner_h - span_y * scale) / 2
    return [(left + (x - west_edge) * scale, top + (north_edge - y) * scale) for x, y in zip(east, north, strict=True)]


def _on_circle(count: int) -> list[tuple[float, float]]:
    """`count` points evenly on a circle, the first at the top, going clockwise."""
    centre_x, centre_y = WIDTH / 2, HEIGHT / 2
    if count == 1:
        return [(centre_x, centre_y)]
    radius = HEIGHT / 2 - MARGIN
    return [
        (centre_x + radius * sin(2 * pi * i / count), centre_y - radius * cos(2 * pi * i / count)) for i in range(count)
    ]


def drawn(links: list[Link]) -> list[Link]:
    """The links with their line ends: parallels between the same two enterprises, in either direction,
    side by side, and every line stopping at the circles so that its arrowhead shows."""
    between: dict[frozenset[int], list[int]] = defaultdict(list)
    for index, link in enumerate(links):
        between[frozenset((link.source.enterprise.pk, link.target.enterprise.pk))].append(index)
    placed = list(links)
    for indexes in between.values():
        widths = [links[index].stroke_width for index in indexes]
        # Centred on the line between the two circles: each parallel takes its own width and a gap.
        edge = -(sum(widths) + LINK_GAP * (len(widths) - 1)) / 2
        for index, width in zip(indexes, widths, strict=True):
            placed[index] = _placed(links[index], shift=edge + width / 2)
            edge += width + LINK_GAP
    return placed


def _placed(link: Link, *, shift: float) -> Link:
    a, b = link.source, link.target
    # The side a parallel is moved to is taken from the pair, not the direction, so A→B and B→A part.
    low, high = (a, b) if a.enterprise.pk < b.enterprise.pk else (b, a)
    length = sqrt((high.x - low.x) ** 2 + (high.y - low.y) ** 2) or 1.0
    normal_x, normal_y = -(high.y - low.y) / length, (high.x - low.x) / length
    along_x, along_y = (b.x - a.x) / length, (b.y - a.y) / length
    gap = NODE_RADIUS + 2
    return replace(
        link,
        x1=round(a.x + along_x * gap + normal_x * shift, 1),
        y1=round(a.y + along_y * gap + normal_y * shift, 1),
        x2=round(b.x - along_x * gap + normal_x * shift, 1),
        y2=round(b.y - along_y * gap + normal_y * shift, 1),
    )
