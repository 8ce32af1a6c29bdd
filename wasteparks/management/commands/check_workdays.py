"""Say whether the holiday calendar counts the working days of the current year and the next month.

Exits with status 1 when it does not, a month before the receipt-confirmation warnings would stop
(wasteparks/workdays.py): run it from deployment checks or a monitoring job, next to `/healthz`.
"""

from django.core.management.base import BaseCommand

from wasteparks.periods import local_date
from wasteparks.workdays import FIRST_YEAR, LAST_YEAR, coverage_problem


class Command(BaseCommand):
    help = "Fail when the holiday calendar does not cover the current year and the next month."

    def handle(self, *args, **options):
        problem = coverage_problem(local_date())
        if problem:
            self.stderr.write(problem)
            raise SystemExit(1)
        self.stdout.write(f"The holiday calendar covers {FIRST_YEAR} to {LAST_YEAR}.")
