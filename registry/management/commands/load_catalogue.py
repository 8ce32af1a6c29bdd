"""Load the waste catalogue (categories, codes, management methods, divisions) from the reference CSV files."""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.catalogue import CatalogueError, MinistryTable, load_catalogue


class Command(BaseCommand):
    help = (
        "Load waste codes, categories, management methods and divisions from the reference CSV files, "
        "optionally with the ministry's published table of the National Hazardous Waste List."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.REFERENCE_DIR, help="Folder with the CSV files.")
        parser.add_argument(
            "--ministry-table",
            type=Path,
            help="The ministry's table (CSV or XLSX with 废物类别, 行业来源, 废物代码, 危险废物, 危险特性).",
        )
        parser.add_argument("--edition", help="Edition of the list the table publishes, e.g. 2025.")
        parser.add_argument("--valid-from", type=date.fromisoformat, help="Date the edition came into force.")
        parser.add_argument("--source", default="", help="Where the table was published (recorded on each row).")

    def handle(self, *args, dir: Path, ministry_table: Path | None, edition, valid_from, source, **options):
        table = None
        if ministry_table is not None:
            if not edition or valid_from is None:
                raise CommandError("--ministry-table needs --edition and --valid-from.")
            table = MinistryTable(path=ministry_table, edition=edition, valid_from=valid_from, source=source)
        try:
            result = load_catalogue(dir, ministry_table=table)
        except CatalogueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(result.summary())
        self.stdout.write(self.style.SUCCESS(f"Catalogue loaded from {dir}: {result.changed} rows changed."))
