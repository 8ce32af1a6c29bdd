"""Load the carbon factor table (reporting/reference/carbon_factors.csv) as a new edition."""

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reporting.carbon.factors import DEFAULT_PATH, FactorTableError, load_factors
from reporting.models import CarbonFactorEdition


class Command(BaseCommand):
    help = (
        "Load the carbon factor table as a new edition; rows that cannot be loaded are listed and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
        parser.add_argument(
            "--edition",
            help="Name of the new edition, e.g. 2026-12. Without it the edition is named by the file's content, "
            "so loading an unchanged table again (make demo) changes nothing.",
        )

    def handle(self, *args, path: Path, edition: str | None, **options):
        if edition is None:
            edition = "sha256-" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            if CarbonFactorEdition.objects.filter(label=edition).exists():
                self.stdout.write(f"Carbon factors: {path} is unchanged (edition {edition}).")
                return
        try:
            result = load_factors(path=path, edition=edition)
        except FactorTableError as error:
            raise CommandError("\n".join(error.reasons)) from None
        self.stdout.write(self.style.SUCCESS(f"Carbon factors: edition {result.edition} with {result.count} rows."))
