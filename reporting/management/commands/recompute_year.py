"""manage.py recompute_year 2025 [--park ID]: rebuild a year's utilization snapshots, month by month."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reporting.services import utilization as services
from reporting.services.utilization import PeriodNotComputable


class Command(BaseCommand):
    help = _("Recompute the utilization snapshots of every begun month of a year (one park or all).")

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--park", type=int, default=None, help=_("Only this park (id) and its province."))

    def handle(self, *args, year: int, park: int | None, **options):
        try:
            park_obj = services.resolve_park(park) if park is not None else None

            def progress(done: int, total: int) -> None:
                self.stdout.write(_("%(done)d/%(total)d months") % {"done": done, "total": total})

            results = services.recompute_year(year=year, park=park_obj, progress=progress)
        except PeriodNotComputable as error:
            raise CommandError(error.message) from None
        rows = sum(result.rows for result in results)
        self.stdout.write(
            self.style.SUCCESS(
                _("Recomputed %(months)d months of %(year)d: %(rows)d rows.")
                % {"months": len(results), "year": year, "rows": rows}
            )
        )
