"""Mail the parties of a manifest: the consignor hears of a quantity discrepancy at receipt (by mail, and
in the inbox of its administrators and preparers).

The receipt queues the mail through the outbox in its own transaction (`transfers.tasks.mail_discrepancy`),
so a rolled-back receipt tells nobody and a mail server that is down never turns a committed receipt into
an error answer: the task retries. The mail is composed from the stored lines, in Chinese and in English.
"""

from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from registry.models import EnterpriseMembership, EnterpriseRole
from wasteparks import inbox
from wasteparks.models import NotificationKind

from . import rules
from .models import Manifest


def _consignor_staff(manifest: Manifest) -> list[tuple[int, str]]:
    """(user id, address) of the consignor's administrators and preparers."""
    return list(
        EnterpriseMembership.objects.filter(
            enterprise_id=manifest.consignor_id, role__in=(EnterpriseRole.ADMIN, EnterpriseRole.PREPARER)
        ).values_list("user_id", "user__email")
    )


def consignor_recipients(manifest: Manifest) -> list[str]:
    """The consignor's contact address and its administrators' and preparers' addresses (those who have
    not switched discrepancy mails off)."""
    staff = _consignor_staff(manifest)
    wanted = inbox.mail_wanted(user_ids=[user_id for user_id, _email in staff], kind=NotificationKind.DISCREPANCY)
    addresses = [manifest.consignor.contact_email]
    addresses += [email for user_id, email in staff if user_id in wanted]
    return sorted({address for address in addresses if address})


def put_discrepancy_in_inboxes(*, manifest: Manifest) -> None:
    """The consignor's administrators and preparers find the discrepancy in their inbox; called by the
    receipt, in its transaction (the mail goes separately, through the outbox)."""
    number = manifest.number
    inbox.notify(
        user_ids=[user_id for user_id, _email in _consignor_staff(manifest)],
        kind=NotificationKind.DISCREPANCY,
        title=lambda: _("Manifest %(number)s was received with a quantity discrepancy") % {"number": number},
        link=reverse("transfers:manifest_detail", args=[manifest.pk]),
        dedup_key=f"manifest:{manifest.pk}:discrepancy",
        mail=False,  # mail_discrepancy mails, with the lines
    )


def _deviation(line) -> Decimal:
    return rules.deviation_pct(declared=line.declared_quantity_t, received=line.received_quantity_t)


def _discrepancy_text(manifest: Manifest, lines: list, tolerance: Decimal) -> tuple[str, str]:
    subject = _("Quantity discrepancy on manifest %(number)s") % {"number": manifest.number}
    rows = "\n".join(
        _("  line %(line)s %(code)s: declared %(declared)s t, received %(received)s t (%(deviation)s %%)")
        % {
            "line": line.line_no,
            "code": line.waste_code.code,
            "declared": line.declared_quantity_t,
            "received": line.received_quantity_t,
            "deviation": f"{_deviation(line):+}",
        }
        for line in lines
    )
    body = _(
        "%(receiver)s received manifest %(number)s from %(consignor)s with quantities differing from the "
        "declaration by more than the %(tolerance)s %% tolerance:"
    ) % {
        "receiver": manifest.receiver.name,
        "number": manifest.number,
        "consignor": manifest.consignor.name,
        "tolerance": f"{tolerance * 100:.0f}",
    }
    return subject, f"{body}\n{rows}\n"


def mail_discrepancy(*, manifest_id: int, tolerance: Decimal) -> int:
    """Send the consignor the lines received beyond the tolerance; the number of mails sent (0 or 1)."""
    manifest = Manifest.objects.select_related("consignor", "receiver").get(pk=manifest_id)
    lines = list(manifest.lines.filter(is_discrepancy=True).select_related("waste_code").order_by("line_no"))
    recipients = consignor_recipients(manifest)
    if not lines or not recipients:
        return 0
    with translation.override("zh-hans"):
        subject_zh, body_zh = _discrepancy_text(manifest, lines, tolerance)
    with translation.override("en"):
        subject_en, body_en = _discrepancy_text(manifest, lines, tolerance)
    send_mail(f"{subject_zh} / {subject_en}", f"{body_zh}\n{body_en}", settings.DEFAULT_FROM_EMAIL, recipients)
    return 1
