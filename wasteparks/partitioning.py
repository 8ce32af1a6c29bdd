"""Migration operations for time partitions (docs/scaling.md, "Time partitions"): turning a table into one
partitioned by time and back, and naming a partitioned table's rows without a foreign key.

`partition_by_time(spec)` rebuilds a table as a partitioned one (PostgreSQL; nothing on SQLite). Whatever
the old table had is read from the catalog first, not retyped here, so nothing is forgotten: its columns,
defaults, identity and checks (`CREATE TABLE ... (LIKE ...)`), its keys and foreign keys
(pg_get_constraintdef), indexes (pg_get_indexdef), triggers (pg_get_triggerdef) and grants. Then the table
is renamed aside, the partitioned table made under the old name with a partition for every period between
its oldest and newest row and for the periods ahead, and a default partition; the rows are copied (no
trigger exists yet on the new table, so nothing is renumbered: the change versions the sync API gave them
stay exactly as they were), the old table dropped, the identity set past the old one's last value, and the
keys, foreign keys, indexes, triggers and grants made again under their own names, on the parent, whence
PostgreSQL clones them to every partition.

PostgreSQL requires a primary key or unique constraint of a partitioned table to contain the partition
column: the primary key becomes (id, column), and a unique constraint without the column gets it at the
end, marked by a comment on the constraint so that the reverse (back to a plain table) takes it off again.
A foreign key cannot point at a partitioned table without a unique index on exactly the referenced
columns: the conversion refuses while one does. `references()` replaces such a foreign key with a
constraint trigger on the referencing table (on SQLite, a pair of triggers).

Migrations import this module: the SQL it makes for a table must never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from . import partitions
from .partitions import TimePartitioned
from .vendor_sql import run_sql_per_vendor

# The comment that marks a key given the partition column by the conversion.
WIDENED = "wasteparks: the partition column added to this key"


@dataclass
class _Constraint:
    name: str
    kind: str  # pg_constraint.contype: p, u, c, f or x
    definition: str
    columns: list[str]
    deferrable: bool
    deferred: bool
    widened: bool


@dataclass
class _Index:
    name: str
    definition: str
    unique: bool
    columns: list[str]


@dataclass
class _Shape:
    """What a table has besides its columns, read from the catalog."""

    columns: list[str]
    identity: str
    sequence: str
    constraints: list[_Constraint] = field(default_factory=list)
    indexes: list[_Index] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    grants: list[tuple[str, str]] = field(default_factory=list)


def _columns_sql(array_of_attnums: str, relation: str) -> str:
    return (
        f"ARRAY(SELECT a.attname::text FROM unnest({array_of_attnums}) WITH ORDINALITY k(attnum, n) "  # noqa: S608
        f"JOIN pg_attribute a ON a.attrelid = {relation} AND a.attnum = k.attnum ORDER BY k.n)"
    )


def _read(cursor, table: str) -> _Shape:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        [table],
    )
    columns = [name for (name,) in cursor.fetchall()]
    cursor.execute(
        "SELECT attname, pg_get_serial_sequence(%s, attname) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attidentity <> ''",
        [table, table],
    )
    [(identity, sequence)] = cursor.fetchall()
    shape = _Shape(columns=columns, identity=identity, sequence=sequence)
    cursor.execute(
        f"SELECT conname, contype, pg_get_constraintdef(oid), {_columns_sql('conkey', 'conrelid')}, "  # noqa: S608
        "condeferrable, condeferred, coalesce(obj_description(oid, 'pg_constraint'), '') = %s "
        "FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'c', 'f', 'x') "
        "ORDER BY position(contype::text IN 'pucfx'), conname",
        [WIDENED, table],
    )
    shape.constraints = [_Constraint(*row) for row in cursor.fetchall()]
    cursor.execute(
        f"SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisunique, "  # noqa: S608
        f"{_columns_sql('i.indkey::int2[]', 'i.indrelid')} FROM pg_index i WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) "
        "ORDER BY 1",
        [table],
    )
    # A partitioned table's own index reads `ON ONLY t` (its partitions' indexes are attached one by one);
    # made again on a table, the index is the table's whole index.
    shape.indexes = [
        _Index(name, definition.replace(" ON ONLY ", " ON ", 1), unique, columns)
        for name, definition, unique, columns in cursor.fetchall()
    ]
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "ORDER BY tgname",
        [table],
    )
    shape.triggers = [definition for (definition,) in cursor.fetchall()]
    cursor.execute(
        "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid = %s::regclass AND a.grantee <> c.relowner ORDER BY 2, 1",
        [table],
    )
    shape.grants = cursor.fetchall()
    return shape


def _refuse_references(cursor, table: str) -> None:
    """A foreign key naming the table (its own included) would have to be dropped and could not come back."""
    cursor.execute(
        "SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass",
        [table],
    )
    found = cursor.fetchall()
    if found:
        named = ", ".join(f"{name} on {on}" for name, on in found)
        raise RuntimeError(f"{table} is still named by foreign keys ({named}): replace them with references() first.")


def _key(constraint: _Constraint, columns: list[str], quote) -> str:
    kind = "PRIMARY KEY" if constraint.kind == "p" else "UNIQUE"
    deferral = (" DEFERRABLE" if constraint.deferrable else "") + (" INITIALLY DEFERRED" if constraint.deferred else "")
    return f"{kind} ({', '.join(quote(column) for column in columns)}){deferral}"


def _make_again(cursor, table: str, shape: _Shape, *, column: str, partitioned: bool, quote) -> None:
    """Give `table` the keys, foreign keys, indexes, triggers and grants of `shape`; keys get the partition
    `column` when the table is partitioned, and lose it again when it is not."""
    for constraint in shape.constraints:
        definition, mark = constraint.definition, False
        if constraint.kind == "c":
            continue  # came with the columns (LIKE ... INCLUDING CONSTRAINTS)
        if constraint.kind == "x":
            raise RuntimeError(f"{table}: exclusion constraint {constraint.name} cannot be carried over.")
        if constraint.kind in "pu" and partitioned and column not in constraint.columns:
            definition, mark = _key(constraint, [*constraint.columns, column], quote), True
        elif constraint.kind in "pu" and not partitioned and constraint.widened:
            definition = _key(constraint, [c for c in constraint.columns if c != column], quote)
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(constraint.name)} {definition}")
        if mark:
            cursor.execute(f"COMMENT ON CONSTRAINT {quote(constraint.name)} ON {table} IS %s", [WIDENED])
    for index in shape.indexes:
        if partitioned and index.unique and column not in index.columns:
            raise RuntimeError(f"{table}: unique index {index.name} lacks {column}; make it a constraint first.")
        cursor.execute(index.definition)
    for trigger in shape.triggers:
        cursor.execute(trigger)
    for privilege, grantee in shape.grants:
        cursor.execute(f"GRANT {privilege} ON {table} TO {grantee}")


def _rebuild(spec: TimePartitioned, schema_editor, *, partitioned: bool) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    table, column = spec.table, spec.column
    aside = f"{table}_{'unpartitioned' if partitioned else 'partitioned'}"
    with connection.cursor() as cursor:
        shape = _read(cursor, table)
        _refuse_references(cursor, table)
        cursor.execute(f"SELECT last_value, is_called FROM {shape.sequence}")  # noqa: S608 (catalog names)
        last_value, is_called = cursor.fetchone()
        cursor.execute(f"SELECT min({column}), max({column}), max({shape.identity}) FROM {table}")  # noqa: S608
        oldest, newest, top_id = cursor.fetchone()

        cursor.execute(f"ALTER TABLE {table} RENAME TO {aside}")
        cursor.execute(f"ALTER SEQUENCE {shape.sequence} RENAME TO {aside}_{shape.identity}_seq")
        # The columns as they were: types, defaults, identity, NOT NULL, and the check constraints exactly.
        like = (
            f"LIKE {aside} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE "
            "INCLUDING COMPRESSION"
        )
        if partitioned:
            cursor.execute(f"CREATE TABLE {table} ({like}) PARTITION BY RANGE ({quote(column)})")
            for period in _periods(spec, oldest, newest):
                cursor.execute(f"SELECT {partitions.FUNCTION}(%s, %s)", [table, period])
            cursor.execute(f"CREATE TABLE {spec.default_partition} PARTITION OF {table} DEFAULT")
        else:
            cursor.execute(f"CREATE TABLE {table} ({like})")
        names = ", ".join(quote(name) for name in shape.columns)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {aside}")  # noqa: S608
        cursor.execute(f"DROP TABLE {aside}")

        # Past every id the old identity handed out, rolled-back ones included, and past every id copied.
        used = max(last_value if is_called else last_value - 1, top_id or 0)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)", [table, shape.identity, max(used, 1), used > 0]
        )
        _make_again(cursor, table, shape, column=column, partitioned=partitioned, quote=quote)
        cursor.execute(f"ANALYZE {table}")
    partitions.forget(spec)


def _periods(spec: TimePartitioned, oldest, newest) -> list[date]:
    """Every period from the oldest row's to the newest's, and this period with the ones ahead."""
    ahead = spec.periods_from(spec.period_of(timezone.now()), getattr(settings, spec.ahead) + 1)
    if oldest is None:
        return ahead
    return sorted({*spec.periods_between(spec.period_of(oldest), spec.period_of(newest)), *ahead})


def partition_by_time(spec: TimePartitioned) -> migrations.RunPython:
    """The operation that partitions `spec`'s table by its time column (and, reversed, makes it one table
    again). PostgreSQL only; the table keeps its rows, ids, versions, constraints, indexes and triggers."""

    def forward(apps, schema_editor) -> None:
        _rebuild(spec, schema_editor, partitioned=True)

    def backward(apps, schema_editor) -> None:
        _rebuild(spec, schema_editor, partitioned=False)

    return migrations.RunPython(forward, backward)


def references(
    *, name: str, table: str, column: str, target: str, same: tuple[str, ...] = (), message: str
) -> migrations.RunPython:
    """The operation that makes the database refuse a row of `table` whose `column` names no row of
    `target` (by id; with `same`, the named row must also have the same values in those columns): what a
    foreign key did, for a `target` that is partitioned and cannot be referenced by one.

    PostgreSQL: a constraint trigger, deferred to the commit like Django's foreign keys. SQLite: triggers
    before insert and update. Only the referencing side is checked: the rows of `target` these tables
    reference are append-only (their deletion is refused by trigger), so no ON DELETE side is needed, and
    `manage.py detach_partitions` refuses a partition whose rows are still named (wasteparks/partitions.py).
    """
    match = " AND ".join([f"t.id = NEW.{column}", *(f"t.{other} = NEW.{other}" for other in same)])
    missing = f"NEW.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {target} t WHERE {match})"  # noqa: S608
    watched = ", ".join([column, *same])
    forward = {
        "postgresql": [
            f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {missing} THEN
                    RAISE EXCEPTION '{message} ({column} %)', NEW.{column} USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN NULL;
            END $$
            """,
            # WHEN: a row naming nothing queues no check (a bulk load of entries that reverse nothing stays
            # a bulk load).
            f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OF {watched} ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.{column} IS NOT NULL) EXECUTE FUNCTION {name}()",
        ],
        "sqlite": [
            f"CREATE TRIGGER {name}_{operation.split()[0].lower()} BEFORE {operation} ON {table} WHEN {missing} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for operation in ("INSERT", f"UPDATE OF {watched}")
        ],
    }
    reverse = {
        "postgresql": [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"],
        "sqlite": [f"DROP TRIGGER IF EXISTS {name}_{operation}" for operation in ("insert", "update")],
    }
    return run_sql_per_vendor(forward, reverse)
