"""Seed data for the reporting pages' tests, built through the services: ledger entries, a manifest
from X to R, snapshots recomputed for the current month, and warnings raised by the rules."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from registry.models import Enterprise
from reporting.models import Severity, Warning, WarningStatus
from reporting.services import utilization
from reporting.warnings import engine
from tests import factories as f
from transfers import services as transfers
from transfers.models import LedgerStage, Manifest
from wasteparks.periods import Period


def record(actor, facility, code: str, stage: str, quantity: str, method: str | None = None, hours_ago: float = 1):
    """An entry `hours_ago` hours ago, but always in this month: in the first hour of a month, halfway
    between the month's start and now."""
    now = timezone.now()
    month_start = Period.containing().start
    occurred_at = max(now - timedelta(hours=hours_ago), month_start + (now - month_start) / 2)
    return transfers.record_ledger_entry(
        actor=actor,
        enterprise=facility.enterprise,
        facility=facility,
        waste_code=f.waste_code(code),
        stage=stage,
        quantity_t=Decimal(quantity),
        occurred_at=occurred_at,
        method=f.method(method) if method else None,
    )


def seed_ledger(preparer_x, x_store) -> None:
    """This month at X: 120 t of fly ash generated, 90 t utilized in house; 40 t of hazardous waste."""
    record(preparer_x, x_store, "SW02", LedgerStage.GENERATED, "120")
    record(preparer_x, x_store, "SW02", LedgerStage.UTILIZED_IN_HOUSE, "90", method="R5")
    record(preparer_x, x_store, "900-249-08", LedgerStage.GENERATED, "40")


def recompute_now() -> None:
    month = Period.containing()
    utilization.recompute_period(year=month.year, month=month.month)


def overdue_manifest(hazardous_draft, advance) -> Manifest:
    """A manifest from X to R in transit for four days: MANIFEST_OVERDUE finds it."""
    manifest = advance(hazardous_draft, "in_transit")
    Manifest.objects.filter(pk=manifest.pk).update(picked_up_at=timezone.now() - timedelta(days=4))
    engine.run_rules(manifest_id=manifest.pk)
    manifest.refresh_from_db()
    return manifest


def many_warnings(*, park, enterprise: Enterprise, count: int, message: str = "Stock above capacity") -> list[Warning]:
    """`count` live warnings in `park` (rows as the engine writes them, for list sizes)."""
    now = timezone.now()
    return Warning.objects.bulk_create(
        [
            Warning(
                rule="STORAGE_OVER_CAPACITY",
                severity=[Severity.CRITICAL, Severity.WARNING, Severity.INFO][index % 3],
                park=park,
                enterprise=enterprise,
                message_zh=f"{message} {index}",
                message_en=f"{message} {index}",
                evidence={"stock_t": "460.0000", "capacity_t": "500.0000", "share_pct": 92},
                dedup_key=f"test:{uuid.uuid4()}",
                status=WarningStatus.OPEN,
                raised_at=now - timedelta(minutes=index),
            )
            for index in range(count)
        ]
    )
