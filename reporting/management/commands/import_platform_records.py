"""Import an external platform's export file for one park: the same booking as the officers' upload page
(reporting/imports/services.py), for files that arrive by other channels."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.models import Park
from wasteparks.errors import DomainError

from ...imports.services import import_file
from ...models.imports import ImportRunStatus, ImportSource


class Command(BaseCommand):
    help = "Import an external platform's export file (CSV, .xlsx or JSON) for one park."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", choices=ImportSource.values, default=ImportSource.BATTERIES)
        parser.add_argument("--park", required=True, help="The park's name or id.")

    def handle(self, *args, file: Path, source: str, park: str, **options):
        found = Park.objects.filter(pk=int(park)) if park.isdecimal() else Park.objects.filter(name=park)
        target = found.first()
        if target is None:
            raise CommandError(f"No park {park!r}.")
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(str(error)) from error
        try:
            run = import_file(source=source, park=target, actor=None, file_name=file.name, content=content)
        except DomainError as error:
            raise CommandError(error.message) from error
        if run.status == ImportRunStatus.REFUSED:
            raise CommandError(f"File refused (run {run.pk}):\n{run.column_report}")
        self.stdout.write(
            f"run {run.pk}: {run.rows_total} rows, {run.rows_imported} imported, "
            f"{run.rows_unchanged} unchanged, {run.rows_refused} refused"
        )
        for row in run.rows.filter(outcome="refused").order_by("row_no"):
            self.stdout.write(f"  row {row.row_no} {row.source_record_id}: {row.reason}")
