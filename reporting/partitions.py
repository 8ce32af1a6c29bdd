"""Monthly partitions of the readings table (PostgreSQL; docs/telemetry.md).

The migration that creates `reporting_reading` also creates `reporting_ensure_reading_partition(day)`,
a SECURITY DEFINER function owned by the schema's owner: the application's own database role may not
create tables (docs/operations.md), yet the daily task and the ingestion service must be able to add the
month a reading falls in. Partitions are named `reporting_reading_yYYYYmMM` and cover [first day of the
month, first day of the next) in UTC. On SQLite the table is not partitioned and these are no-ops.
"""

from datetime import UTC, date, datetime

from django.db import connection

TABLE = "reporting_reading"
FUNCTION = "reporting_ensure_reading_partition"

# Fixed names only: nothing from outside enters these statements.
CREATE_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}(day date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    first date := date_trunc('month', day)::date;
    name text := format('{TABLE}_y%sm%s', to_char(first, 'YYYY'), to_char(first, 'MM'));
BEGIN
    IF to_regclass(name) IS NULL THEN
        -- Two sessions may both find it missing: the loser's CREATE fails, and it finds it made.
        BEGIN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF {TABLE} FOR VALUES FROM (%L) TO (%L)',
                name,
                first::text || ' 00:00+00',
                (first + interval '1 month')::date::text || ' 00:00+00'
            );
        EXCEPTION WHEN duplicate_table THEN NULL;
        END;
    END IF;
    RETURN name;
END
$$;
"""  # noqa: S608
DROP_FUNCTION_SQL = f"DROP FUNCTION IF EXISTS {FUNCTION}(date)"

# The months this process has already made sure of: one call per month and process, not per batch.
_known: set[tuple[int, int]] = set()


def month_of(moment: datetime) -> date:
    """The partition (its first day) an aware moment falls in: partitions are UTC months."""
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def months_from(start: date, count: int) -> list[date]:
    """`count` first-of-month dates from `start`'s month on."""
    year, month = start.year, start.month
    result = []
    for _ in range(count):
        result.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def ensure_partitions(months: list[date], *, using=None) -> list[str]:
    """Make sure each month's partition exists; returns their names (nothing on SQLite)."""
    conn = using or connection
    if conn.vendor != "postgresql":
        return []
    names = []
    with conn.cursor() as cursor:
        for month in sorted(set(months)):
            key = (month.year, month.month)
            if key in _known:
                continue
            cursor.execute(f"SELECT {FUNCTION}(%s)", [month])
            names.append(cursor.fetchone()[0])
            _known.add(key)
    return names
