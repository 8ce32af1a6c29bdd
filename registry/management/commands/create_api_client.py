"""manage.py create_api_client NAME --scope read:all|enterprise [--enterprise CODE] [--expires-in-days N]

Prints the token once; only its hash is stored, so it cannot be shown again.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registry.clients import create_api_client
from registry.models import ApiScope, Enterprise


class Command(BaseCommand):
    help = "Create an API client and print its bearer token (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A unique name, e.g. 'Guizhou provincial platform'.")
        # A device's client comes with its device: manage.py register_device.
        parser.add_argument(
            "--scope", required=True, choices=[choice.value for choice in ApiScope if choice != ApiScope.DEVICE]
        )
        parser.add_argument(
            "--enterprise", help="For --scope enterprise: the enterprise's unified social credit code or id."
        )
        parser.add_argument("--expires-in-days", type=int, default=365)

    def handle(self, *args, name: str, scope: str, enterprise: str | None, expires_in_days: int, **options):
        if expires_in_days < 1:
            raise CommandError("--expires-in-days must be at least 1.")
        target = None
        if scope == ApiScope.ENTERPRISE:
            if not enterprise:
                raise CommandError("--scope enterprise needs --enterprise <credit code or id>.")
            # A credit code may be all digits: 18 characters mean a credit code, anything shorter an id.
            lookup: dict[str, str | int]
            if len(enterprise) == 18:
                lookup = {"credit_code": enterprise.upper()}
            elif enterprise.isdigit():
                lookup = {"pk": int(enterprise)}
            else:
                raise CommandError(f"{enterprise!r} is neither an 18-character credit code nor an id.")
            target = Enterprise.objects.filter(**lookup).first()
            if target is None:
                raise CommandError(f"No enterprise {enterprise!r}.")
        elif enterprise:
            raise CommandError("A read:all client acts for no enterprise; drop --enterprise.")
        try:
            client, token = create_api_client(
                name=name,
                scope=scope,
                enterprise=target,
                expires_at=timezone.now() + timedelta(days=expires_in_days),
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(f"Created API client {client.name!r} ({client.scope}), expires {client.expires_at:%Y-%m-%d}.")
        self.stderr.write("Store this token now; it is not shown again:")
        self.stdout.write(token)
