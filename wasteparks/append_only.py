"""Append-only tables: the migration operation that makes the database refuse UPDATE and DELETE on a table.

Records that are evidence (signatures, status logs, history rows, ledger entries, audit links) are
written once. On PostgreSQL a trigger calls `wasteparks_refuse_change()` (created by
wasteparks/migrations/0002_tamper_evidence.py); on SQLite, the embedded default, a pair of triggers
aborts the statement. Migrations import this module, so its output for a table must never change.
"""

from django.db import migrations

from .vendor_sql import run_sql_per_vendor


def _statements(table: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    forward = {
        "postgresql": [
            f"CREATE TRIGGER wasteparks_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION wasteparks_refuse_change()"
        ],
        "sqlite": [
            f"CREATE TRIGGER wasteparks_append_only_{op.lower()}_{table} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'tamper evidence: {op} on {table} refused; these rows are append-only'); END"
            for op in ("UPDATE", "DELETE")
        ],
    }
    reverse = {
        "postgresql": [f"DROP TRIGGER IF EXISTS wasteparks_append_only ON {table}"],
        "sqlite": [f"DROP TRIGGER IF EXISTS wasteparks_append_only_{op}_{table}" for op in ("update", "delete")],
    }
    return forward, reverse


def append_only(table: str) -> migrations.RunPython:
    """The operation that makes `table` append-only (and, reversed, ordinary again)."""
    forward, reverse = _statements(table)
    return run_sql_per_vendor(forward, reverse)
