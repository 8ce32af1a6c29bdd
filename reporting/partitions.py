"""The readings table's monthly partitions (PostgreSQL; docs/telemetry.md): the months of what the
ingestion writes and of the daily task, through the one partitioning function every time-partitioned table
uses (wasteparks/partitions.py). Partitions are named `reporting_reading_yYYYYmMM` and cover [first day of
the month, first day of the next) in UTC. On SQLite the table is not partitioned and these are no-ops.
"""

from datetime import date, datetime

from wasteparks import partitions
from wasteparks.partitions import READINGS


def month_of(moment: datetime) -> date:
    """The partition (its first day) an aware moment falls in: partitions are UTC months."""
    return READINGS.period_of(moment)


def months_from(start: date, count: int) -> list[date]:
    """`count` first-of-month dates from `start`'s month on."""
    return READINGS.periods_from(start, count)


def ensure_partitions(months: list[date], *, using=None) -> list[str]:
    """Make sure each month's partition exists; returns their names (nothing on SQLite)."""
    return partitions.ensure_partitions(READINGS, months, using=using)
