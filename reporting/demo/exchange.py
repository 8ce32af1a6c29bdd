"""The demo park's exchange: what the manufacturers that send waste mineral oil to disposal list, and what the
licensed receivers offer, published from what the platform derives (their ledgers and licences) on the last
day of the replay. No price or gate fee is made up: the offers leave it empty."""

from django.utils import timezone

from registry.models import MethodKind

from ..symbiosis.exchange import licensed_rooms, publish_offer, publish_stream, recurring_streams

LISTED_CODE = "900-249-08"  # the manufacturers' waste mineral oil, incinerated today (story.py)
STREAMS_LISTED = 3
OFFERING = ("disposer", "li_battery")


def publish_listings(park) -> None:
    today = timezone.localdate(park.now)
    keys = [key for key in park.manufacturers() if park.hazardous_of(key)[0] == LISTED_CODE and park.active(key)]
    for key in keys[:STREAMS_LISTED]:
        enterprise = park.enterprises[key]
        found = next((s for s in recurring_streams(enterprise, now=park.now) if s.waste_code.code == LISTED_CODE), None)
        if found is not None:
            publish_stream(
                actor=park.staff[key],
                enterprise=enterprise,
                waste_code=found.waste_code,
                monthly_t=found.monthly_t,
                available_from=today,
                properties="200 升铁桶装",
            )
    for key in OFFERING:
        enterprise = park.enterprises[key]
        for room in licensed_rooms(enterprise, day=today):
            if room.method.kind == MethodKind.UTILIZATION and room.room_t > 0:
                publish_offer(
                    actor=park.staff[key],
                    enterprise=enterprise,
                    waste_code=room.waste_code,
                    category=room.category,
                    method=room.method,
                    capacity_t=room.room_t,
                )
