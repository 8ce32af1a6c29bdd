"""The change cursor behind incremental sync: exact by construction, nothing held back.

Every synced table (every `Timestamped` model) has a `sync_version` column that the database sets on
each INSERT and UPDATE, whatever wrote the row (the ORM, `QuerySet.update`, raw SQL, a trigger):

- on PostgreSQL, the id of the writing transaction (`pg_current_xact_id()`, 64 bits, never wraps);
- on SQLite, the embedded default, a counter bumped by each write (SQLite has one writer at a time, so
  the counter's order is the commit order).

A page of changes is read between two database *snapshots*: the rows whose version was not yet visible
in the snapshot `since` (where the client's previous run ended) and is visible in the snapshot `until`
(taken when this run began), in (sync_version, id) order. Visibility in a snapshot is a pure function of
a transaction id and the snapshot (`xmin:xmax:in-progress ids`), so a later page can test it again:

- a row committed after `until` is not on this run's pages; it is on the next run's, whose `since` is
  this `until`: nothing is skipped, and nothing waits for an unrelated open transaction;
- a row changed again while the run pages moves out of this run (its new version is not visible in
  `until`) into the next one: a page never holds a row out of order.

A deleted row leaves a tombstone (`Tombstone`, its own collection) written by a trigger in the deleting
transaction. The trigger functions are created by wasteparks/migrations/0005_change_cursor.py; each app's
migration attaches them to its tables with `track_changes()`. Migrations import this module: the SQL a
table gets must never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connections, migrations
from django.db.models import Q

from .vendor_sql import run_sql_per_vendor

SQLITE_CLOCK = "wasteparks_syncclock"
# ASCII digits only: int() alone would also read full-width and other scripts' digits.
_SNAPSHOT_TEXT = re.compile(r"[0-9]{1,20}:[0-9]{1,20}:(?:[0-9]{1,20}(?:,[0-9]{1,20})*)?")
_MAX_RUNNING = 10_000
TOMBSTONES = "wasteparks_tombstone"


# --- Snapshots ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Which transactions' writes are visible: every id below `xmin`, and those below `xmax` that are
    not in `running` (PostgreSQL's pg_snapshot). On SQLite `running` is empty and `xmin == xmax`."""

    xmin: int
    xmax: int
    running: tuple[int, ...] = ()

    @classmethod
    def current(cls, using: str = "default") -> Snapshot:
        connection = connections[using]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text, pg_is_in_recovery()"
                )
                text, own, standby = cursor.fetchone()
                snapshot = cls.parse(text)
                if standby:
                    # A hot standby's snapshot keeps its running transactions where pg_current_snapshot()
                    # does not list them (PostgreSQL's subxip): only xmin and xmax are exact there. The
                    # ones between still in progress in the replayed commit log count as running (a commit
                    # replayed since is visible to every later page too). Too many to list: everything
                    # from xmin on counts as not visible, so its rows come in a later run, never skipped.
                    if snapshot.xmax - snapshot.xmin > _MAX_RUNNING:
                        return cls(snapshot.xmin, snapshot.xmin)
                    cursor.execute(
                        "SELECT x FROM generate_series(%s::bigint, %s::bigint - 1) AS x"
                        " WHERE pg_xact_status(x::text::xid8) = 'in progress' ORDER BY x",
                        [snapshot.xmin, snapshot.xmax],
                    )
                    return cls(snapshot.xmin, snapshot.xmax, tuple(row[0] for row in cursor.fetchall()))
                return snapshot.seeing(int(own) if own else None)
            cursor.execute(f"SELECT value FROM {SQLITE_CLOCK} WHERE id = 1")  # noqa: S608 (a constant)
            row = cursor.fetchone()
            top = (row[0] if row else 0) + 1
            return cls(xmin=top, xmax=top)

    @classmethod
    def parse(cls, text: str) -> Snapshot:
        """From PostgreSQL's text form, `xmin:xmax:id,id,...`; ValueError if it is not one."""
        if _SNAPSHOT_TEXT.fullmatch(text) is None:
            raise ValueError(f"not a snapshot: {text!r}")
        head, _, rest = text.partition(":")
        tail, _, running = rest.partition(":")
        snapshot = cls(int(head), int(tail), tuple(sorted(int(x) for x in running.split(",") if x)))
        if not 0 <= snapshot.xmin <= snapshot.xmax or any(
            not snapshot.xmin <= x < snapshot.xmax for x in snapshot.running
        ):
            raise ValueError(f"not a snapshot: {text!r}")
        return snapshot

    def seeing(self, own: int | None) -> Snapshot:
        """This snapshot with the reader's own transaction visible, as its own writes are to it.
        PostgreSQL's snapshot leaves a transaction's own id out (it may lie beyond xmax); a reading
        request has none, but a transaction that wrote before listing (a test, a shell) does."""
        if own is None or own < self.xmax or own - self.xmax > _MAX_RUNNING:
            return self  # too far ahead to list what lies between: its rows come in the next run
        between = tuple(range(self.xmax, own))
        return Snapshot(self.xmin, own + 1, tuple(sorted({*self.running, *between})))

    def covers(self, other: Snapshot) -> bool:
        """Every transaction visible in `other` is visible in this one. A replica's snapshot misses what
        it has not replayed yet: a page of a run whose `until` it does not cover must be read elsewhere."""
        if other.xmax > self.xmax:
            return False
        hidden = set(other.running)
        return all(x >= other.xmax or x in hidden for x in self.running)

    def __str__(self) -> str:
        return f"{self.xmin}:{self.xmax}:{','.join(map(str, self.running))}"

    def sees(self, field: str = "sync_version") -> Q:
        """Rows whose version is visible in this snapshot."""
        visible = Q(**{f"{field}__lt": self.xmin})
        if self.xmax > self.xmin:
            recent = Q(**{f"{field}__gte": self.xmin, f"{field}__lt": self.xmax})
            if self.running:
                recent &= ~Q(**{f"{field}__in": self.running})
            visible |= recent
        return visible

    def misses(self, field: str = "sync_version") -> Q:
        """Rows whose version is not visible in this snapshot (written by a later or running transaction)."""
        missed = Q(**{f"{field}__gte": self.xmax})
        if self.running:
            missed |= Q(**{f"{field}__in": self.running})
        return missed


def changed_between(since: Snapshot | None, until: Snapshot, field: str = "sync_version") -> Q:
    """Rows written after `since` (None: from the beginning) and visible in `until`."""
    condition = until.sees(field)
    if since is not None:
        condition &= since.misses(field)
    return condition


# --- Migration operations -------------------------------------------------------------------------

FUNCTIONS_SQL = {
    "postgresql": [
        """
        CREATE OR REPLACE FUNCTION wasteparks_sync_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.sync_version := pg_current_xact_id()::text::bigint;
            RETURN NEW;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION wasteparks_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            gone jsonb := to_jsonb(OLD);
        BEGIN
            INSERT INTO {TOMBSTONES}
                (created_at, updated_at, sync_version, collection, object_id, park_id, enterprise_id)
            VALUES (clock_timestamp(), clock_timestamp(), 0, TG_ARGV[0], (gone ->> 'id')::bigint,
                    (gone ->> TG_ARGV[1])::bigint, (gone ->> TG_ARGV[2])::bigint);
            RETURN OLD;
        END $$
        """,  # noqa: S608 (constants only)
        """
        CREATE OR REPLACE FUNCTION wasteparks_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            FOR i IN 1 .. TG_NARGS - 1 LOOP
                EXECUTE format('UPDATE %I SET updated_at = clock_timestamp() WHERE %I = $1', TG_ARGV[0], TG_ARGV[i])
                USING NEW.id;
            END LOOP;
            RETURN NULL;
        END $$
        """,
    ],
    "sqlite": [
        f"CREATE TABLE IF NOT EXISTS {SQLITE_CLOCK} (id integer PRIMARY KEY, value integer NOT NULL)",
        f"INSERT OR IGNORE INTO {SQLITE_CLOCK} (id, value) VALUES (1, 0)",  # noqa: S608
    ],
}
FUNCTIONS_REVERSE_SQL = {
    "postgresql": [
        "DROP FUNCTION IF EXISTS wasteparks_sync_version()",
        "DROP FUNCTION IF EXISTS wasteparks_tombstone()",
        "DROP FUNCTION IF EXISTS wasteparks_follow()",
    ],
    "sqlite": [f"DROP TABLE IF EXISTS {SQLITE_CLOCK}"],
}

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _statements(
    table: str, collection: str | None, park: str | None, enterprise: str | None
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    bump = (
        f"UPDATE {SQLITE_CLOCK} SET value = value + 1 WHERE id = 1; "  # noqa: S608 (table names only)
        f"UPDATE {table} SET sync_version = (SELECT value FROM {SQLITE_CLOCK} WHERE id = 1) WHERE id = NEW.id;"
    )
    scope = ", ".join(f"OLD.{column}" if column else "NULL" for column in (park, enterprise))
    forward = {
        "postgresql": [
            f"CREATE TRIGGER wasteparks_sync_version BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION wasteparks_sync_version()",
            f"CREATE TRIGGER wasteparks_tombstone AFTER DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION wasteparks_tombstone('{collection}', '{park or '-'}', '{enterprise or '-'}')",
        ],
        "sqlite": [
            f"CREATE TRIGGER wasteparks_sync_insert_{table} AFTER INSERT ON {table} BEGIN {bump} END",
            # Every write through Django sets updated_at; the trigger's own UPDATE sets only sync_version.
            f"CREATE TRIGGER wasteparks_sync_update_{table} AFTER UPDATE OF updated_at ON {table} BEGIN {bump} END",
            f"CREATE TRIGGER wasteparks_tombstone_{table} AFTER DELETE ON {table} BEGIN "  # noqa: S608
            f"INSERT INTO {TOMBSTONES} (created_at, updated_at, sync_version, collection, object_id, park_id, "
            f"enterprise_id) VALUES ({_SQLITE_NOW}, {_SQLITE_NOW}, 0, '{collection}', OLD.id, {scope}); END",
        ],
    }
    if collection is None:  # the tombstones themselves: never deleted
        forward = {vendor: statements[:-1] for vendor, statements in forward.items()}
    reverse = {
        "postgresql": [
            f"DROP TRIGGER IF EXISTS wasteparks_sync_version ON {table}",
            f"DROP TRIGGER IF EXISTS wasteparks_tombstone ON {table}",
        ],
        "sqlite": [
            f"DROP TRIGGER IF EXISTS wasteparks_{name}_{table}" for name in ("sync_insert", "sync_update", "tombstone")
        ],
    }
    return forward, reverse


def track_changes(
    table: str, *, collection: str | None, park: str | None = None, enterprise: str | None = None
) -> migrations.RunPython:
    """The operation that makes the database stamp `table`'s rows with their version and leave a
    tombstone in `collection` (the API's name for it) when one is deleted. `park` and `enterprise` name
    the columns that scope a tombstone to the readers of the deleted row (None: the table has none; such
    tombstones are for province-wide readers). `collection=None` stamps versions only."""
    forward, reverse = _statements(table, collection, park, enterprise)
    return run_sql_per_vendor(forward, reverse)


def create_functions() -> migrations.RunPython:
    return run_sql_per_vendor(FUNCTIONS_SQL, FUNCTIONS_REVERSE_SQL)


def follow(source: str, columns: tuple[str, ...], *, target: str, via: tuple[str, ...]) -> migrations.RunPython:
    """The operation that moves `target`'s rows forward in the sync order when one of `columns` of a
    `source` row they name (through any of the foreign-key columns `via`) changes: a row that copies a
    name from another (a manifest's party names) changes when that name does."""
    name = f"wasteparks_follow_{target}"
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in columns)
    sqlite_changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns)
    arguments = ", ".join(f"'{column}'" for column in (target, *via))
    matches = " OR ".join(f"{column} = NEW.id" for column in via)
    forward = {
        "postgresql": [
            f"CREATE TRIGGER {name} AFTER UPDATE OF {', '.join(columns)} ON {source} FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION wasteparks_follow({arguments})"
        ],
        "sqlite": [
            f"CREATE TRIGGER {name} AFTER UPDATE OF {', '.join(columns)} ON {source} WHEN {sqlite_changed} BEGIN "  # noqa: S608
            f"UPDATE {target} SET updated_at = {_SQLITE_NOW} WHERE {matches}; END"
        ],
    }
    reverse = {
        "postgresql": [f"DROP TRIGGER IF EXISTS {name} ON {source}"],
        "sqlite": [f"DROP TRIGGER IF EXISTS {name}"],
    }
    return run_sql_per_vendor(forward, reverse)
