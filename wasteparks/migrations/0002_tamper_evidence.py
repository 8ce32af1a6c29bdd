"""Tamper evidence: the database refuses changes to the records regulators act on.

- Status logs and signatures (manifest signatures, revision decisions, report and warning events) and the
  simple_history tables are append-only: UPDATE and DELETE are refused.
- A monthly report revision, once submitted, keeps its frozen fields (report, number, submitter, time,
  lateness) and cannot be deleted; its review (outcome, reviewer, time, comment) may be written once, the
  one change the application makes to it. Its lines are sealed by the submission's entry in the report's
  status log (itself append-only): from then on they cannot be added, changed or deleted. (Keying the
  seal to the log rather than to `submitted_at` lets fixtures write a filed report straight to the tables.)

The check is a trigger, so it holds for the ORM, the admin, a shell and raw SQL alike; an attempt raises
IntegrityError. TRUNCATE is not blocked (it needs the table owner, and the test suite empties tables
with it). Triggers are created on PostgreSQL and on SQLite (the embedded default).
"""

from django.db import migrations

from wasteparks.vendor_sql import run_sql_per_vendor

APPEND_ONLY = [
    "transfers_manifestevent",
    "transfers_revisiondecision",
    "reporting_monthlyreportevent",
    "reporting_warningevent",
    "registry_historicalpark",
    "registry_historicalenterprise",
    "registry_historicalfacility",
    "registry_historicalpermit",
    "registry_historicalpermitline",
    "registry_historicaltransferapproval",
    "transfers_historicalmanifest",
    "transfers_historicalmanifestline",
]
REVISION = "reporting_monthlyreportrevision"
LINE = "reporting_monthlyreportline"
FROZEN = ["report_id", "number", "submitted_by_id", "submitted_at", "is_late"]
REVIEW = ["outcome", "reviewed_by_id", "reviewed_at", "review_comment"]


def _sealed(ref: str) -> str:
    """The revision was submitted through the application: its append-only status log records it."""
    return (
        f"EXISTS (SELECT 1 FROM {REVISION} r JOIN reporting_monthlyreportevent e ON e.report_id = r.report_id "
        f"AND e.revision = r.number AND e.action = 'submit' WHERE r.id = {ref}.revision_id "
        "AND r.submitted_at IS NOT NULL)"
    )


def _row(prefix: str, columns: list[str]) -> str:
    return "ROW(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION wasteparks_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'tamper evidence: % on % refused; these rows are append-only', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION wasteparks_guard_report_revision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.submitted_at IS NULL THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE'
           OR {_row("NEW", FROZEN)} IS DISTINCT FROM {_row("OLD", FROZEN)}
           OR (OLD.outcome <> '' AND {_row("NEW", REVIEW)} IS DISTINCT FROM {_row("OLD", REVIEW)}) THEN
            RAISE EXCEPTION 'tamper evidence: % of submitted report revision % refused', TG_OP, OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION wasteparks_guard_report_line() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (TG_OP <> 'INSERT' AND {_sealed("OLD")}) OR (TG_OP <> 'DELETE' AND {_sealed("NEW")}) THEN
            RAISE EXCEPTION 'tamper evidence: % of a line of a submitted report revision refused', TG_OP
                USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$
    """,
    *(
        f"CREATE TRIGGER wasteparks_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION wasteparks_refuse_change()"
        for table in APPEND_ONLY
    ),
    f"CREATE TRIGGER wasteparks_submitted_revision BEFORE UPDATE OR DELETE ON {REVISION} "
    "FOR EACH ROW EXECUTE FUNCTION wasteparks_guard_report_revision()",
    f"CREATE TRIGGER wasteparks_submitted_revision_line BEFORE INSERT OR UPDATE OR DELETE ON {LINE} "
    "FOR EACH ROW EXECUTE FUNCTION wasteparks_guard_report_line()",
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS wasteparks_append_only ON {table}" for table in APPEND_ONLY),
    f"DROP TRIGGER IF EXISTS wasteparks_submitted_revision ON {REVISION}",
    f"DROP TRIGGER IF EXISTS wasteparks_submitted_revision_line ON {LINE}",
    "DROP FUNCTION IF EXISTS wasteparks_refuse_change()",
    "DROP FUNCTION IF EXISTS wasteparks_guard_report_revision()",
    "DROP FUNCTION IF EXISTS wasteparks_guard_report_line()",
]


def _sqlite_distinct(columns: list[str]) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


SQLITE_FORWARD = [
    *(
        f"CREATE TRIGGER wasteparks_append_only_{op.lower()}_{table} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'tamper evidence: {op} on {table} refused; these rows are append-only'); END"
        for table in APPEND_ONLY
        for op in ("UPDATE", "DELETE")
    ),
    f"CREATE TRIGGER wasteparks_submitted_revision_update BEFORE UPDATE ON {REVISION} "
    f"WHEN OLD.submitted_at IS NOT NULL AND ({_sqlite_distinct(FROZEN)} "
    f"OR (OLD.outcome <> '' AND ({_sqlite_distinct(REVIEW)}))) "
    "BEGIN SELECT RAISE(ABORT, 'tamper evidence: UPDATE of a submitted report revision refused'); END",
    f"CREATE TRIGGER wasteparks_submitted_revision_delete BEFORE DELETE ON {REVISION} "
    "WHEN OLD.submitted_at IS NOT NULL "
    "BEGIN SELECT RAISE(ABORT, 'tamper evidence: DELETE of a submitted report revision refused'); END",
    *(
        f"CREATE TRIGGER wasteparks_submitted_revision_line_{op.lower()} BEFORE {op} ON {LINE} WHEN {when} "
        f"BEGIN SELECT RAISE(ABORT, 'tamper evidence: {op} of a line of a submitted report revision refused'); END"
        for op, when in (
            ("INSERT", _sealed("NEW")),
            ("UPDATE", f"{_sealed('OLD')} OR {_sealed('NEW')}"),
            ("DELETE", _sealed("OLD")),
        )
    ),
]
SQLITE_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS wasteparks_append_only_{op.lower()}_{table}"
        for table in APPEND_ONLY
        for op in ("UPDATE", "DELETE")
    ),
    "DROP TRIGGER IF EXISTS wasteparks_submitted_revision_update",
    "DROP TRIGGER IF EXISTS wasteparks_submitted_revision_delete",
    *(f"DROP TRIGGER IF EXISTS wasteparks_submitted_revision_line_{op}" for op in ("insert", "update", "delete")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("wasteparks", "0001_outbox"),
        ("registry", "0004_hazard_pattern"),
        ("transfers", "0001_initial"),
        ("reporting", "0001_initial"),
    ]

    operations = [
        run_sql_per_vendor(
            {"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD},
            {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE},
        ),
    ]
