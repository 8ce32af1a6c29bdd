"""What the demo park adds up to, read back from the database: the figures the demo promises (a rolling
rate a little above target, every manifest status, every warning rule) and a fingerprint to compare a
SQLite load with a PostgreSQL one."""

from decimal import Decimal

from django.db.models import Count, Sum

from registry.demo import MAIN_PARK
from registry.models import WasteClass
from transfers.models import LedgerEntry, Manifest
from wasteparks.periods import Period

from ..models.utilization import SnapshotScope, UtilizationSnapshot, rates_of
from ..models.warnings import Warning


def rolling_rate(*, park_name: str = MAIN_PARK, last_month: Period) -> Decimal | None:
    """The park's rolling 12-month utilization rate of general waste to `last_month`, as the warning rule
    and the dashboard add it up (UtilizationSnapshotQuerySet.window_totals, rates_of)."""
    rows = list(
        UtilizationSnapshot.objects.filter(
            scope=SnapshotScope.PARK, park__name=park_name, waste_class=WasteClass.GENERAL, category_code=""
        ).window_totals(last_month.rolling(12), "park_id")
    )
    return rates_of(rows[0])[0] if rows else None


def fingerprint(*, last_month: Period) -> dict:
    """Counts and totals that two loads of the same seed and day must share, whatever the database."""

    def text(value) -> str:
        return f"{Decimal(value or 0):.4f}"

    return {
        "manifests": dict(Manifest.objects.values_list("status").annotate(n=Count("pk")).order_by("status")),
        "ledger": {
            stage: text(total)
            for stage, total in LedgerEntry.objects.values_list("stage")
            .annotate(total=Sum("quantity_t"))
            .order_by("stage")
        },
        "warnings": [
            list(row)
            for row in Warning.objects.values_list("rule", "status").annotate(n=Count("pk")).order_by("rule", "status")
        ],
        "snapshots": UtilizationSnapshot.objects.count(),
        "rolling_rate": text(rolling_rate(last_month=last_month)),
    }
