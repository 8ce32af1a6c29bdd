"""`manage.py verify_audit`: recompute the audit hash chain and every tracked row's digest.

Prints each row that differs from its link, has no link or is gone, and each link altered or missing;
exits with status 1 if there is any, so a cron job or a deploy check can act on it.
"""

from django.core.management.base import BaseCommand, CommandError

from wasteparks import audit


class Command(BaseCommand):
    help = "Verify the audit hash chain over ledger entries, signatures and report revisions."

    def handle(self, *args, **options) -> None:
        problems = audit.verify()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"audit chain broken: {len(problems)} problem(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS("audit chain intact"))
