"""Mail the parties of a manifest. Always after commit: a rolled-back receipt must tell nobody."""

from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from registry.models import EnterpriseMembership, EnterpriseRole

from .models import Manifest


def consignor_recipients(manifest: Manifest) -> list[str]:
    """The consignor's contact address and its administrators' and preparers' addresses."""
    addresses = [manifest.consignor.contact_email]
    addresses += EnterpriseMembership.objects.filter(
        enterprise_id=manifest.consignor_id, role__in=(EnterpriseRole.ADMIN, EnterpriseRole.PREPARER)
    ).values_list("user__email", flat=True)
    return sorted({address for address in addresses if address})


def notify_discrepancy_on_commit(*, manifest: Manifest, lines: list[dict], tolerance: Decimal) -> None:
    recipients = consignor_recipients(manifest)
    if not recipients:
        return
    subject = f"Quantity discrepancy on manifest {manifest.number}"
    rows = "\n".join(
        f"  line {item['line_no']} {item['waste_code']}: declared {item['declared_t']} t, received "
        f"{item['received_t']} t ({item['deviation_pct']:+} %)"
        for item in lines
    )
    body = (
        f"{manifest.receiver.name} received manifest {manifest.number} from {manifest.consignor.name} with "
        f"quantities differing from the declaration by more than the {tolerance * 100:.0f} % tolerance:\n"
        f"{rows}\n"
    )
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))
