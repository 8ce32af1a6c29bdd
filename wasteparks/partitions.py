"""Time partitions of the tables that grow without end (PostgreSQL; docs/scaling.md, "Time partitions").

On PostgreSQL these tables are declaratively partitioned by range of a time column, in UTC years or months:

| table | column | partitions |
| --- | --- | --- |
| reporting_reading | measured_at | monthly (docs/telemetry.md) |
| transfers_ledgerentry | occurred_at | yearly |
| transfers_manifestevent | at | yearly |
| reporting_warningevent | at | yearly |
| wasteparks_outboxmessage | created_at | monthly |

A partition is named `<table>_yYYYY` (yearly) or `<table>_yYYYYmMM` (monthly) and covers [its first day,
the next period's first day) in UTC; each table but the readings also has `<table>_default`, which takes a
row no partition covers (a back-dated ledger entry older than the earliest year).

Partitions are made by `wasteparks_ensure_partition(table, day)`, a SECURITY DEFINER function owned by the
schema's owner: the application's own database role may not create tables (docs/operations.md), yet the
daily task and the readings' ingestion must add the periods they need. The function accepts only the tables
above (its own whitelist), so the role cannot make it create anything else. Migrations import this module:
a table's entry here (name, column, width) must never change once a migration has partitioned it.

On SQLite, the embedded default, nothing is partitioned and every helper here does nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .models import DetachedPartition

logger = logging.getLogger(__name__)

Unit = Literal["year", "month"]


@dataclass(frozen=True)
class TimePartitioned:
    """A table partitioned by range of `column`, one partition per UTC `unit`.

    `ahead` names the setting that says how many periods ahead the daily task keeps; `retention` the setting
    that says how long the rows are kept and how many months its unit holds (None: never detached here);
    `referenced_by` the (table, column) pairs whose rows name this table's ids without a foreign key
    (wasteparks/partitioning.py, `references`): a partition whose rows are still named there is not detached;
    `unfinished` a condition on rows still waiting for work (an unsent message): nor is one holding such a row.
    """

    table: str
    column: str
    unit: Unit
    ahead: str = "PARTITIONS_AHEAD"
    retention: tuple[str, int] | None = ("PARTITION_RETENTION_YEARS", 12)
    referenced_by: tuple[tuple[str, str], ...] = ()
    unfinished: str | None = None

    @property
    def default_partition(self) -> str:
        return f"{self.table}_default"

    def period_of(self, moment: datetime) -> date:
        """The first day of the partition an aware moment falls in (UTC)."""
        return self.period_containing(moment.astimezone(UTC).date())

    def period_containing(self, day: date) -> date:
        return date(day.year, 1 if self.unit == "year" else day.month, 1)

    def periods_from(self, start: date, count: int) -> list[date]:
        """`count` periods (their first days) from `start`'s on."""
        if self.unit == "year":
            return [date(start.year + i, 1, 1) for i in range(count)]
        months = start.year * 12 + start.month - 1
        return [date((months + i) // 12, (months + i) % 12 + 1, 1) for i in range(count)]

    def periods_between(self, first: date, last: date) -> list[date]:
        """Every period from `first`'s to `last`'s, both included."""
        first, last = self.period_containing(first), self.period_containing(last)
        if self.unit == "year":
            return self.periods_from(first, last.year - first.year + 1)
        return self.periods_from(first, (last.year - first.year) * 12 + last.month - first.month + 1)

    def retention_months(self) -> int | None:
        if self.retention is None:
            return None
        setting, months = self.retention
        return getattr(settings, setting) * months


# The readings table was partitioned when it was created (reporting/migrations/0009_device_rules.py), without
# a default partition: the ingestion service makes the month of each reading it accepts.
READINGS = TimePartitioned(
    "reporting_reading", "measured_at", "month", ahead="TELEMETRY_PARTITIONS_AHEAD", retention=None
)
LEDGER = TimePartitioned(
    "transfers_ledgerentry",
    "occurred_at",
    "year",
    referenced_by=(("transfers_container", "ledger_entry_id"), ("transfers_ledgerentry", "reverses_id")),
)
MANIFEST_EVENTS = TimePartitioned("transfers_manifestevent", "at", "year")
WARNING_EVENTS = TimePartitioned("reporting_warningevent", "at", "year")
OUTBOX = TimePartitioned(
    "wasteparks_outboxmessage",
    "created_at",
    "month",
    retention=("OUTBOX_RETENTION_MONTHS", 1),
    unfinished="sent_at IS NULL",
)
TABLES = (READINGS, LEDGER, MANIFEST_EVENTS, WARNING_EVENTS, OUTBOX)
BY_NAME = {spec.table: spec for spec in TABLES}

FUNCTION = "wasteparks_ensure_partition"
_WIDTHS = "\n".join(f"        WHEN '{spec.table}' THEN '{spec.unit}'" for spec in TABLES)
# Fixed names only: nothing from outside enters these statements; the table a caller names is looked up in
# the function's own list and used only when found there.
CREATE_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}(parent text, day date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    unit text := CASE parent
{_WIDTHS}
    END;
    first date;
    name text;
    found regclass;
BEGIN
    IF unit IS NULL THEN
        RAISE EXCEPTION '% is not a table partitioned by time', parent USING ERRCODE = 'invalid_parameter_value';
    END IF;
    first := date_trunc(unit, day)::date;
    name := parent || to_char(first, CASE unit WHEN 'year' THEN '"_y"YYYY' ELSE '"_y"YYYY"m"MM' END);
    found := to_regclass(name);
    IF found IS NULL THEN
        -- Two sessions may both find it missing: the loser's CREATE fails, and it finds it made.
        BEGIN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                name,
                parent,
                first::text || ' 00:00+00',
                (first + ('1 ' || unit)::interval)::date::text || ' 00:00+00'
            );
        EXCEPTION
            WHEN duplicate_table THEN NULL;
            WHEN check_violation THEN
                RAISE EXCEPTION 'partition % of % not made: rows of that % already lie in its default partition',
                    name, parent, unit
                    USING ERRCODE = 'check_violation',
                    HINT = 'Move those rows into the new partition by hand (docs/scaling.md, "Time partitions").';
        END;
    ELSIF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = found AND inhparent = parent::regclass) THEN
        RAISE EXCEPTION '% exists but is not a partition of % (a detached partition?)', name, parent
            USING ERRCODE = 'duplicate_table';
    END IF;
    RETURN name;
END
$$;
"""  # noqa: S608
DROP_FUNCTION_SQL = f"DROP FUNCTION IF EXISTS {FUNCTION}(text, date)"

# The partitions this process has already made sure of: one call per period and process, not per write.
_known: set[tuple[str, date]] = set()


def forget(spec: TimePartitioned) -> None:
    """Forget what this process knew of `spec`'s partitions: its table was rebuilt, or a partition detached."""
    _known.difference_update({key for key in _known if key[0] == spec.table})


def ensure_partitions(spec: TimePartitioned, periods: Iterable[date], *, using=None) -> list[str]:
    """Make sure the partition of each period exists; returns their names (nothing on SQLite)."""
    conn = using or connection
    if conn.vendor != "postgresql":
        return []
    names = []
    with conn.cursor() as cursor:
        for period in sorted({spec.period_containing(day) for day in periods}):
            if (spec.table, period) in _known:
                continue
            # Its own savepoint: a refusal (rows of the period in the default partition) leaves the caller's
            # transaction usable, and the periods made before it made.
            with transaction.atomic(using=conn.alias):
                cursor.execute(f"SELECT {FUNCTION}(%s, %s)", [spec.table, period])
                names.append(cursor.fetchone()[0])
            _known.add((spec.table, period))
    return names


class PartitionsNotMade(Exception):
    """Some table's partitions ahead could not be made; the others' were."""


def ensure_ahead(now: datetime, *, using=None) -> list[str]:
    """For every partitioned table, the partition of `now` and as many periods ahead as its setting says.

    A table whose partition is refused (its rows in the default partition: the function says so) does not
    keep the others from theirs; PartitionsNotMade names it once all were tried."""
    names, refused = [], []
    for spec in TABLES:
        count = getattr(settings, spec.ahead) + 1
        try:
            names += ensure_partitions(spec, spec.periods_from(spec.period_of(now), count), using=using)
        except DatabaseError as error:
            logger.error("partitions of %s not made: %s", spec.table, error)
            refused.append(f"{spec.table}: {error}".strip())
    if refused:
        raise PartitionsNotMade("; ".join(refused))
    return names


@shared_task(name="wasteparks.partitions.create_partitions", acks_late=True, time_limit=600)
def create_partitions() -> list[str]:
    """Daily (beat): this period's partition of every partitioned table and the periods ahead; existing
    ones are kept, so running it twice makes nothing twice."""
    return ensure_ahead(timezone.now())


# --- Reading and detaching partitions -------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    """An attached partition; `start` and `end` are None for the default partition."""

    name: str
    start: datetime | None
    end: datetime | None

    @property
    def is_default(self) -> bool:
        return self.start is None


_BOUNDS = re.compile(r"FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)")


def partitions_of(spec: TimePartitioned, *, using=None) -> list[Partition]:
    """The partitions attached to `spec`'s table, oldest first, the default last (none on SQLite)."""
    conn = using or connection
    if conn.vendor != "postgresql":
        return []
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [spec.table],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        match = _BOUNDS.search(bound)
        if match:
            start, end = (datetime.fromisoformat(text).astimezone(UTC) for text in match.groups())
            found.append(Partition(name, start, end))
        else:
            found.append(Partition(name, None, None))
    return sorted(found, key=lambda p: (p.is_default, p.start or datetime.max.replace(tzinfo=UTC)))


class RetentionNotReached(Exception):
    """A partition asked to be detached may still hold rows its table must keep, or rows still named."""


def kept_since(spec: TimePartitioned, now: datetime) -> datetime | None:
    """From when on `spec`'s table must still keep its rows (None: it keeps everything): the retention
    counted back from the first of `now`'s month (UTC), so a row before it is older than the retention."""
    months = spec.retention_months()
    if months is None:
        return None
    total = now.astimezone(UTC).year * 12 + now.astimezone(UTC).month - 1 - months
    return datetime(total // 12, total % 12 + 1, 1, tzinfo=UTC)


def detachable(spec: TimePartitioned, before: datetime, *, now: datetime, using=None) -> list[Partition]:
    """The partitions of `spec` that end on or before `before`, once the retention allows it.

    RetentionNotReached when `before` is younger than the retention (a partition ending then could hold a
    row still to be kept) or the table has none. The default partition is never among them."""
    since = kept_since(spec, now)
    if spec.retention is None or since is None:
        raise RetentionNotReached(f"{spec.table} has no retention: its partitions are not detached here.")
    if before > since:
        raise RetentionNotReached(
            f"{spec.table} keeps its rows since {since:%Y-%m-%d} ({spec.retention_months()} months, "
            f"settings.{spec.retention[0]}): partitions ending {before:%Y-%m-%d} may still hold some of them."
        )
    return [p for p in partitions_of(spec, using=using) if not p.is_default and p.end and p.end <= before]


@dataclass(frozen=True)
class Detached:
    """A partition to detach, or detached: its table, period, rows, and their ids as runs [[first, last]]."""

    table: str
    partition: str
    start: datetime
    end: datetime
    rows: int
    id_runs: list[list[int]]


def plan_detachment(spec: TimePartitioned, before: datetime, *, now: datetime, using=None) -> list[Detached]:
    """What detaching `spec`'s partitions that end on or before `before` would take out (see `detachable`),
    oldest first; nothing is changed.

    RetentionNotReached, besides the retention, for a partition whose rows are still named by a row
    elsewhere (a container naming a ledger entry) or still wait for work (an unsent message)."""
    conn = using or connection
    planned = []
    with conn.cursor() as cursor:
        for partition in detachable(spec, before, now=now, using=conn):
            assert partition.start is not None and partition.end is not None  # not the default
            for table, column in spec.referenced_by:
                # Rows of the partition itself (a reversal beside the entry it undoes) leave with it.
                cursor.execute(
                    f"SELECT count(*) FROM {table} WHERE {column} IN (SELECT id FROM {partition.name}) "  # noqa: S608
                    "AND tableoid <> to_regclass(%s)",
                    [partition.name],
                )
                named = cursor.fetchone()[0]
                if named:
                    raise RetentionNotReached(f"{partition.name}: {named} row(s) of {table} still name its rows.")
            if spec.unfinished:
                cursor.execute(f"SELECT count(*) FROM {partition.name} WHERE {spec.unfinished}")  # noqa: S608
                waiting = cursor.fetchone()[0]
                if waiting:
                    raise RetentionNotReached(f"{partition.name}: {waiting} row(s) still wait ({spec.unfinished}).")
            # The ids as runs of consecutive numbers: what the audit chain's verification needs, kept small.
            cursor.execute(
                f"SELECT min(id), max(id), count(*) FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS run "  # noqa: S608
                f"FROM {partition.name}) ids GROUP BY run ORDER BY 1"
            )
            runs = cursor.fetchall()
            planned.append(
                Detached(
                    table=spec.table,
                    partition=partition.name,
                    start=partition.start,
                    end=partition.end,
                    rows=sum(count for _first, _last, count in runs),
                    id_runs=[[first, last] for first, last, _count in runs],
                )
            )
    return planned


def detach(planned: list[Detached], *, using=None) -> None:
    """Detach the planned partitions, in one transaction, and record each (DetachedPartition).

    Each becomes a table of its own under the same name, kept append-only, for its owner to dump and drop
    or move to cheap storage; live partitions are not touched. A plain DETACH (a concurrent one is refused
    beside a default partition) holds its parent's lock until the commit, so the checks are all made before,
    by `plan_detachment`. The record keeps the ids, so that the audit chain's verification knows those rows
    left by retention, not by tampering."""
    conn = using or connection
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        for item in planned:
            cursor.execute(f"ALTER TABLE {item.table} DETACH PARTITION {item.partition}")
            _keep_append_only(cursor, item.table, item.partition)
            DetachedPartition.objects.using(conn.alias).create(
                table=item.table,
                partition=item.partition,
                start=item.start,
                end=item.end,
                rows=item.rows,
                id_runs=item.id_runs,
            )
            logger.warning("detached partition %s of %s (%s rows)", item.partition, item.table, item.rows)
    for spec in TABLES:
        if any(item.table == spec.table for item in planned):
            forget(spec)


def _keep_append_only(cursor, parent: str, detached: str) -> None:
    """A detached partition loses the row triggers it had from its parent; evidence stays append-only."""
    cursor.execute(
        "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid "
        "WHERE t.tgrelid = to_regclass(%s) AND NOT t.tgisinternal AND f.proname = 'wasteparks_refuse_change'",
        [parent],
    )
    for (definition,) in cursor.fetchall():
        cursor.execute(re.sub(r" ON \S+ ", f" ON {detached} ", definition, count=1))
