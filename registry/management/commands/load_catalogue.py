"""Load the waste catalogue (categories, codes, management methods, divisions) from the reference CSV files."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.catalogue import CatalogueError, load_catalogue


class Command(BaseCommand):
    help = "Load waste codes, categories, management methods and divisions from the reference CSV files."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.REFERENCE_DIR, help="Folder with the CSV files.")

    def handle(self, *args, dir: Path, **options):
        try:
            result = load_catalogue(dir)
        except CatalogueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(result.summary())
        self.stdout.write(self.style.SUCCESS(f"Catalogue loaded from {dir}: {result.changed} rows changed."))
