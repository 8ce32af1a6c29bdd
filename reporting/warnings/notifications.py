"""Early warnings: who is told, and the mails.

A WarningNotification row per (warning, address), written in the transaction that sends the mail; critical
warnings go out at once to the park's officers and the enterprise's contacts; the rest in one daily digest
per address. Nobody is told about the same warning twice. A critical warning also goes into the inbox of
every user it concerns, in the transaction that raised it (`put_in_inboxes`); a user who switched a kind of
mail off (wasteparks/inbox.py) gets no mail of that kind.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry.models import Enterprise, EnterpriseMembership, EnterpriseRole, JurisdictionMembership, OfficerRole
from wasteparks import inbox
from wasteparks.models import NotificationKind

from ..models.warnings import Severity, Warning, WarningNotification, WarningNotificationKind


@dataclass(frozen=True)
class Recipient:
    email: str
    user_id: int | None


def _by_mail(recipients: dict[int, set[Recipient]], *, kind: str) -> dict[int, set[Recipient]]:
    """Only the recipients who want `kind` by mail (a contact address without an account always does)."""
    wanted = inbox.mail_wanted(user_ids={r.user_id for group in recipients.values() for r in group}, kind=kind)
    return {pk: {r for r in group if r.user_id is None or r.user_id in wanted} for pk, group in recipients.items()}


def put_in_inboxes(*, warning_ids: list[int]) -> None:
    """A critical warning goes into the inbox of every user it concerns (the park's officers, the
    enterprise's administrators and preparers), in the transaction that raised or escalated it."""
    warnings = list(Warning.objects.filter(pk__in=warning_ids, severity=Severity.CRITICAL))
    for warning_pk, recipients in _recipients(warnings).items():
        warning = next(w for w in warnings if w.pk == warning_pk)

        def title(warning=warning) -> str:
            zh = (translation.get_language() or "").startswith("zh")
            return _("Critical warning: %(message)s") % {"message": warning.message_zh if zh else warning.message_en}

        inbox.notify(
            user_ids=[r.user_id for r in recipients if r.user_id is not None],
            kind=NotificationKind.CRITICAL_WARNING,
            title=title,
            link=reverse("reporting:warning_detail", args=[warning.pk]),
            dedup_key=f"warning:{warning.pk}:critical",
            mail=False,  # notify_immediately mails, to the contact addresses as well
        )


def _recipients(warnings: list[Warning]) -> dict[int, set[Recipient]]:
    """Per warning: the officers of its park, and the contacts of its enterprise (the contact address
    and the administrators and preparers). Three queries whatever the number of warnings."""
    park_ids = {w.park_id for w in warnings}
    enterprise_ids = {w.enterprise_id for w in warnings if w.enterprise_id}
    officers = defaultdict(set)
    for park_id, user_id, email in (
        JurisdictionMembership.objects.filter(role=OfficerRole.PARK, park_id__in=park_ids, user__is_active=True)
        .exclude(user__email="")
        .values_list("park_id", "user_id", "user__email")
    ):
        officers[park_id].add(Recipient(email.lower(), user_id))
    contacts = defaultdict(set)
    for enterprise_id, user_id, email in (
        EnterpriseMembership.objects.filter(
            enterprise_id__in=enterprise_ids,
            role__in=(EnterpriseRole.ADMIN, EnterpriseRole.PREPARER),
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("enterprise_id", "user_id", "user__email")
    ):
        contacts[enterprise_id].add(Recipient(email.lower(), user_id))
    for enterprise_id, email in (
        Enterprise.objects.filter(pk__in=enterprise_ids).exclude(contact_email="").values_list("pk", "contact_email")
    ):
        if not any(r.email == email.lower() for r in contacts[enterprise_id]):
            contacts[enterprise_id].add(Recipient(email.lower(), None))
    return {w.pk: officers[w.park_id] | (contacts[w.enterprise_id] if w.enterprise_id else set()) for w in warnings}


def _send(*, recipient: Recipient, warnings: list[Warning], kind: str, now: datetime) -> int:
    """Claim (recipient, warning) pairs and send one mail about the claimed ones, in one transaction:
    a concurrent run waits on the claims and then finds nothing left; a failed send leaves no claim."""
    batch = uuid.uuid4()
    with transaction.atomic():
        WarningNotification.objects.bulk_create(
            [
                WarningNotification(
                    warning_id=w.pk,
                    email=recipient.email,
                    user_id=recipient.user_id,
                    kind=kind,
                    batch=batch,
                    sent_at=now,
                )
                for w in warnings
            ],
            ignore_conflicts=True,
        )
        claimed = set(WarningNotification.objects.filter(batch=batch).values_list("warning_id", flat=True))
        mine = [w for w in warnings if w.pk in claimed]
        if not mine:
            return 0
        subject, body = _compose(mine, kind=kind)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
    return len(mine)


def _compose(warnings: list[Warning], *, kind: str) -> tuple[str, str]:
    lines = []
    for w in warnings:
        lines.append(f"[{w.get_severity_display()}] {w.rule} · {w.park.name}")
        lines.append(f"  {w.message_zh}")
        lines.append(f"  {w.message_en}")
        lines.append("")
    if kind == WarningNotificationKind.IMMEDIATE and len(warnings) == 1:
        subject = f"[wasteparks] 严重预警 / Critical warning: {warnings[0].message_en}"[:200]
    else:
        subject = f"[wasteparks] 预警日报 / Daily warning digest: {len(warnings)}"
    return subject, "\n".join(lines)


def notify_immediately(*, warning_id: int, now: datetime | None = None) -> int:
    """Mail a critical live warning to everyone concerned who has not been told about it. Returns the
    number of mails sent."""
    warning = Warning.objects.select_related("park").filter(pk=warning_id).first()
    if warning is None or warning.severity != Severity.CRITICAL or not warning.is_live:
        return 0
    now = now or timezone.now()
    sent = 0
    recipients = _by_mail(_recipients([warning]), kind=NotificationKind.CRITICAL_WARNING)
    for recipient in sorted(recipients[warning.pk], key=lambda r: r.email):
        sent += bool(_send(recipient=recipient, warnings=[warning], kind=WarningNotificationKind.IMMEDIATE, now=now))
    return sent


def send_daily_digest(*, now: datetime | None = None) -> int:
    """One mail per address listing the live warnings it has not been told about. Returns mails sent."""
    now = now or timezone.now()
    warnings = list(Warning.objects.live().select_related("park").order_by("park_id", "-severity", "raised_at", "pk"))
    if not warnings:
        return 0
    told = set(
        WarningNotification.objects.filter(warning__in=[w.pk for w in warnings]).values_list("warning_id", "email")
    )
    by_recipient: dict[Recipient, list[int]] = defaultdict(list)
    for warning_pk, recipients in _by_mail(_recipients(warnings), kind=NotificationKind.WARNING_DIGEST).items():
        for recipient in recipients:
            if (warning_pk, recipient.email) not in told:
                by_recipient[recipient].append(warning_pk)
    by_pk = {w.pk: w for w in warnings}
    sent = 0
    for recipient in sorted(by_recipient, key=lambda r: r.email):
        items = [by_pk[pk] for pk in sorted(by_recipient[recipient])]
        sent += bool(_send(recipient=recipient, warnings=items, kind=WarningNotificationKind.DIGEST, now=now))
    return sent
