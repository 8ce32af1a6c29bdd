"""`manage.py detach_partitions --before YEAR[-MM] [--table TABLE] [--dry-run]`: take the time partitions
that end on or before the first day of YEAR (or of that month) out of their tables, after the retention
(docs/scaling.md, "Time partitions").

Every table with a retention by default (the ledger, the signature and warning trails: the records' legal
retention, `PARTITION_RETENTION_YEARS`; the outbox: `OUTBOX_RETENTION_MONTHS`), or the one named. A cut
younger than a table's retention is refused and nothing is detached; so is a partition whose rows are still
named elsewhere or still wait for work. The default partitions are never detached. Run as the tables'
owner (the role `migrate` runs as): the application's role may not alter tables.
"""

import re
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from wasteparks import partitions

_BEFORE = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")


def parse_before(text: str) -> datetime:
    """`2016` → 2016-01-01, `2026-06` → 2026-06-01 (UTC); CommandError for anything else."""
    match = _BEFORE.fullmatch(text)
    if not match or not 1 <= int(match.group(2) or 1) <= 12:
        raise CommandError(f"--before {text!r}: give a year (2016) or a month (2026-06).")
    return datetime(int(match.group(1)), int(match.group(2) or 1), 1, tzinfo=UTC)


class Command(BaseCommand):
    help = "Detach the time partitions older than the retention from their tables (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YEAR or YEAR-MM: partitions ending by then.")
        parser.add_argument(
            "--table",
            choices=[spec.table for spec in partitions.TABLES if spec.retention],
            help="Only this table (default: every table with a retention).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would be detached; change nothing.")

    def handle(self, *args, before: str, table: str | None, dry_run: bool, **options) -> None:
        cut = parse_before(before)
        if connection.vendor != "postgresql":
            self.stdout.write("Nothing is partitioned on this database (only PostgreSQL's tables are).")
            return
        specs = [partitions.BY_NAME[table]] if table else [spec for spec in partitions.TABLES if spec.retention]
        now = timezone.now()
        try:
            # One transaction: every check before the first DETACH, whose lock then lasts only to the commit;
            # a refusal for one table leaves the others attached too.
            with transaction.atomic():
                planned = [item for spec in specs for item in partitions.plan_detachment(spec, cut, now=now)]
                if not dry_run:
                    partitions.detach(planned)
        except partitions.RetentionNotReached as refusal:
            raise CommandError(f"Refused, nothing was detached: {refusal}") from None
        verb = "would detach" if dry_run else "detached"
        for item in planned:
            self.stdout.write(
                f"{verb} {item.partition} from {item.table}: {item.start:%Y-%m-%d} to {item.end:%Y-%m-%d}, "
                f"{item.rows} row(s)"
            )
        if not planned:
            self.stdout.write(f"Nothing to detach before {cut:%Y-%m-%d}.")
        elif not dry_run:
            self.stdout.write(
                "Each is now a table of its own, still append-only: dump it (pg_dump --table=NAME) and drop it, "
                "or move it to cheaper storage (ALTER TABLE NAME SET TABLESPACE ...)."
            )
