"""Manifest numbers: 14 digits = year (4) + province (2) + city (2) + serial (6) per city and year.

The serial comes from one atomic upsert on ManifestSequence, so concurrent submissions in the same city
can never draw the same serial (no count()+1, no read-then-write window), and the first number of a
new city or year needs no separate creation step that two requests could race on.
"""

from django.db import connection

from wasteparks.errors import RuleViolation

from .models import ManifestSequence

MAX_SERIAL = 999_999


def next_serial(*, city_code: str, year: int) -> int:
    """Take the next serial for (city, year). Runs in the caller's transaction: a rollback gives the
    serial back only if nobody took a later one, which is what a gap-tolerant register wants."""
    table = connection.ops.quote_name(ManifestSequence._meta.db_table)
    with connection.cursor() as cursor:
        # PostgreSQL and SQLite (3.35+) both support this statement unchanged.
        cursor.execute(
            f"INSERT INTO {table} (city_code, year, last_serial) VALUES (%s, %s, 1) "  # noqa: S608 - table name only
            f"ON CONFLICT (city_code, year) DO UPDATE SET last_serial = {table}.last_serial + 1 "
            "RETURNING last_serial",
            [city_code, year],
        )
        (serial,) = cursor.fetchone()
    if serial > MAX_SERIAL:
        raise RuleViolation(
            f"Manifest numbers for city {city_code} in {year} are exhausted ({MAX_SERIAL} issued).",
            code="numbers_exhausted",
        )
    return serial


def format_number(*, year: int, city_code: str, serial: int) -> str:
    """city_code is the 4-digit GB/T 2260 city code, which already starts with the province's 2 digits."""
    if len(city_code) != 4 or not city_code.isdigit():
        raise ValueError(f"A manifest number needs a 4-digit city code, not {city_code!r}.")
    return f"{year:04d}{city_code}{serial:06d}"


def allocate_number(*, city_code: str, year: int) -> str:
    return format_number(year=year, city_code=city_code, serial=next_serial(city_code=city_code, year=year))
