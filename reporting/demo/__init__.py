"""The living demo park: the parks, enterprises and logins (registry.demo) and two years of their
activity (activity.py, story.py), loaded by `manage.py load_demo` for the embedded default."""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from registry.demo import load_demo as load_organisations
from wasteparks.errors import DomainError
from wasteparks.periods import Period

from .activity import MONTHS, activity_loaded, play_two_years, real_data_present
from .replay import clock, side_effects_held

DEFAULT_SEED = 20240501


class DemoRefused(DomainError):
    code = "demo_refused"


@dataclass(frozen=True)
class DemoResult:
    loaded: bool  # False when the demo was there already and nothing changed
    seconds: float
    counts: dict[str, int]
    refused: tuple[str, ...] = ()


def load_demo(*, seed: int = DEFAULT_SEED, now: datetime | None = None) -> DemoResult:
    """Load the demo park and its last two years, once. A second run changes nothing; a database with
    enterprises the demo did not create is refused (the demo creates logins with a known password and
    would mix invented activity into real records)."""
    started = time.monotonic()
    if real_data_present():
        raise DemoRefused(
            "This database holds enterprises that are not part of the demo; the demo is loaded only into an "
            "empty database or one that holds nothing but the demo."
        )
    if activity_loaded():
        return DemoResult(False, time.monotonic() - started, {})
    now = now or timezone.now()
    # Registered a month before the first month of activity: those months are owed by everyone.
    registered = Period.containing(now).shift(-MONTHS).start - timedelta(days=30)
    with transaction.atomic(), side_effects_held():
        with clock(registered):
            counts = load_organisations(today=timezone.localdate(now))
        played = play_two_years(seed=seed, now=now)
    counts |= {
        "ledger entries": played.ledger,
        "manifests": played.manifests,
        "monthly reports": played.reports,
        "warning scans": played.scans,
    }
    return DemoResult(True, time.monotonic() - started, counts, tuple(played.refused))
