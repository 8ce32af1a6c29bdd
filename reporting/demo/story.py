"""What happens in the demo park, month by month: the waste streams, who ships what to whom, and the
exceptions that give the officers something to see. Data only; reporting/demo/activity.py plays it.

Modelled on Dalong Economic Development Zone (Tongren): electrolytic manganese slag to the slag plant
and the cement works, the power plant's ash, slag and gypsum to the cement works, used lithium cells and
lead-acid batteries to the recycler, the manufacturers' oils, carbon, packaging and sludges to the licensed
disposal centre, medical waste from the hospital every two days, electroplating sludge across the border
to Huaihua under a transfer approval. Quantities are tonnes per month before the season and a small
random spread; they are illustrative, chosen so the park's rolling utilization rate lands a little above
its 80 % target.
"""

from dataclasses import dataclass
from decimal import Decimal

# Month → factor: the Spring Festival dip in February, the National Day week in October, a year-end push.
SEASON = {1: 0.95, 2: 0.72, 3: 0.96, 4: 1.0, 5: 1.04, 6: 1.05, 7: 1.0, 8: 0.98, 9: 1.05, 10: 0.9, 11: 1.04, 12: 1.1}
# Volumes grow a little each year.
GROWTH_PER_YEAR = 0.04


@dataclass(frozen=True)
class Shipment:
    """Part of a stream shipped to a receiver on given days of each month."""

    receiver: str
    share: float  # of the month's generation
    days: tuple[int, ...]
    purpose: str  # utilization / disposal
    method: str  # what the receiver records at treatment


@dataclass(frozen=True)
class Stream:
    """A waste an enterprise generates every month (on `gen_days`), and where it goes."""

    enterprise: str
    code: str
    monthly_t: float
    gen_days: tuple[int, ...] = (3,)
    every_months: int = 1  # shipped every this many months (what has built up since)
    shipments: tuple[Shipment, ...] = ()
    packaging: str = "bulk"
    form: str = "solid"


# The large streams of the park (general industrial solid waste unless the code says otherwise).
STREAMS = (
    Stream(
        "mn_metal",
        "SW01",
        3600,
        shipments=(
            Shipment("mn_slag", 0.54, (16,), "utilization", "R5"),
            Shipment("cement", 0.31, (13,), "utilization", "C2"),
        ),
    ),
    Stream("power", "SW02", 2400, shipments=(Shipment("cement", 0.9, (11,), "utilization", "C2"),)),
    Stream("power", "SW03", 650, shipments=(Shipment("cement", 0.86, (12,), "utilization", "C2"),)),
    Stream("power", "SW06", 850, shipments=(Shipment("cement", 0.82, (15,), "utilization", "C2"),)),
    Stream(
        "m0",
        "SW17",
        14,
        gen_days=(5,),
        every_months=2,
        shipments=(Shipment("li_battery", 1.0, (20,), "utilization", "R4"),),
    ),
    Stream(
        "m20",
        "SW17",
        9,
        gen_days=(5,),
        every_months=2,
        shipments=(Shipment("li_battery", 1.0, (21,), "utilization", "R4"),),
    ),
    Stream(
        "m3",
        "900-052-31",
        19,
        gen_days=(4,),
        every_months=2,
        shipments=(Shipment("li_battery", 1.0, (18,), "utilization", "R4"),),
        packaging="box",
    ),
    Stream(
        "m39",
        "900-052-31",
        17,
        gen_days=(4,),
        every_months=2,
        shipments=(Shipment("li_battery", 1.0, (19,), "utilization", "R4"),),
        packaging="box",
    ),
)

# The manufacturers' hazardous waste, by index in registry.demo.MANUFACTURERS modulo this list; all of
# it goes to the disposal centre twice a year (small generators may store up to a year, DESIGN 5.5).
# Code → (method at the centre, packaging, form).
HAZARDOUS_OF_MANUFACTURERS = (
    ("900-249-08", "D10", "drum", "liquid"),
    ("900-039-49", "D10", "bag", "solid"),
    ("900-041-49", "D10", "bag", "solid"),
    ("900-252-12", "D10", "drum", "semi_solid"),
    ("900-006-09", "D9", "drum", "liquid"),
    ("900-013-11", "D10", "drum", "semi_solid"),
)
# The electroplater's sludge goes to Huaihua instead, under a cross-province transfer approval.
CROSS_PROVINCE = {"m41": ("336-064-17", "hn_metal", "R4")}
# The Guiyang park: smaller, and further from its target (below it, so the rule has something to say).
GUIYANG_STREAMS = (
    Stream("gy1", "SW59", 120, every_months=2, shipments=(Shipment("gy3", 0.6, (14,), "utilization", "R15"),)),
    Stream("gy2", "SW16", 90, every_months=2, shipments=(Shipment("gy3", 0.55, (16,), "utilization", "R15"),)),
    Stream("gy4", "SW17", 40, every_months=3, shipments=(Shipment("gy3", 0.8, (18,), "utilization", "R15"),)),
)

# Exceptions, by enterprise key.
HOARDER = "m9"  # stops shipping its spent carbon 14 months before the end: stock over a year old
DECLINING = "m17"  # generation falls to a third over the last three months (GENERATION_ANOMALY)
DECLINE = (0.62, 0.45, 0.3)
NO_REPORT = "m13"  # never files the last ended month (REPORT_MISSING)
MISMATCHING = "m5"  # adjusts a report's shipments away from its manifests (REPORT_MISMATCH)
LATE_EVERY = 11  # about one report in this many is filed after the 15th
RETURNED_EVERY = 23  # and one in this many is returned by the officer and filed again
DISCREPANCY_EVERY = 13  # receipts short by more than the 5 % tolerance
PARTIAL_EVERY = 29  # receipts with part of the load refused
REJECTED_EVERY = 47  # whole loads refused
CANCELLED_EVERY = 37  # drafts signed and then withdrawn before pickup
REVISED_EVERY = 31  # signed manifests corrected by a revision the other parties approve
MEDICAL_DAILY_T = (Decimal("0.16"), Decimal("0.26"))
MEDICAL_MONTHS = 2  # the hospital's collections every two days are on the platform for the last months
