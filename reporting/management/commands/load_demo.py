"""Load the living demo park for the embedded default (refused with DEBUG off, or over real data).

It lives in reporting, not registry, because two years of activity go through every app's services.
"""

from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.demo import DEMO_PASSWORD, PERSONAS
from registry.models import WasteCode
from reporting.demo import DEFAULT_SEED, DemoRefused, load_demo


class Command(BaseCommand):
    help = "Load the demo park (Tongren, 56 enterprises, two years of activity) and persona logins. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production", action="store_true", help="Load even with DEBUG off (creates known passwords)."
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Another seed gives another park.")
        parser.add_argument(
            "--now",
            type=datetime.fromisoformat,
            default=None,
            help="End the two years at this moment (ISO 8601 with offset) instead of now: the same seed and "
            "moment give the same park.",
        )

    def handle(self, *args, allow_production: bool, seed: int, now: datetime | None, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("The demo creates accounts with a known password; it runs only with DEBUG on.")
        if not WasteCode.objects.exists():
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        try:
            if now is not None and now.tzinfo is None:
                raise CommandError("--now needs an offset, e.g. 2026-11-30T18:00:00+08:00.")
            result = load_demo(seed=seed, now=now)
        except DemoRefused as error:
            raise CommandError(error.message) from None
        if not result.loaded:
            self.stdout.write(f"The demo is loaded already; nothing changed ({result.seconds:.1f} s).")
        else:
            self.stdout.write(", ".join(f"{name}: {value}" for name, value in result.counts.items()))
            if result.refused:
                self.stdout.write(f"{len(result.refused)} steps of the story were refused by the platform's rules.")
            self.stdout.write(self.style.SUCCESS(f"Demo loaded in {result.seconds:.0f} s."))
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password {DEMO_PASSWORD!r}):"))
        for username, full_name, _ in PERSONAS:
            self.stdout.write(f"  {username:<11} {full_name}")
        self.stdout.write("  admin       系统管理员 (Django admin at /admin/)")
        self.stdout.write("Open http://127.0.0.1:8000/")
