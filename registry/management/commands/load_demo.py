"""Load the deterministic demo park for the embedded default (refused with DEBUG off)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.demo import DEMO_PASSWORD, PERSONAS, load_demo
from registry.models import WasteCode


class Command(BaseCommand):
    help = "Load the demo park (Tongren, 56 enterprises) and a login for each persona. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production", action="store_true", help="Load even with DEBUG off (creates known passwords)."
        )

    def handle(self, *args, allow_production: bool, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("The demo creates accounts with a known password; it runs only with DEBUG on.")
        if not WasteCode.objects.exists():
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        counts = load_demo()
        self.stdout.write(", ".join(f"{name}: {value}" for name, value in counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password {DEMO_PASSWORD!r}):"))
        for username, full_name, _ in PERSONAS:
            self.stdout.write(f"  {username:<11} {full_name}")
        self.stdout.write("  admin       系统管理员 (Django admin at /admin/)")
        self.stdout.write("Open http://127.0.0.1:8000/")
