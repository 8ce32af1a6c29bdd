"""The in-app inbox: tell a user something, in the transaction of the event, and mail it if they want.

Every feature that has something to tell a person calls `notify()` (a critical warning, a discrepancy on
their manifest, a returned report, an approaching deadline, an invitation, a finished export). It writes
one Notification per recipient in the caller's transaction, so the inbox holds exactly the events that
committed; a `dedup_key` makes telling the same user the same thing twice a no-op (a rerun scan, a
redelivered task). Mail is a second channel, per kind, that each user can switch off
(`MailPreference`); `mail_wanted()` is the one place that says who still wants a kind by mail, for
`notify()` and for the features that compose their own mails (the warning mails, the discrepancy mail,
the report reminders). The mail itself leaves through the outbox, never from the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone, translation

from . import outbox
from .models import MailPreference, Notification, NotificationKind

# Each notification title is stored in these languages (Notification.title_zh / title_en).
TITLE_LANGUAGES = {"title_zh": "zh-hans", "title_en": "en"}


def mail_wanted(*, user_ids: Iterable[int | None], kind: str) -> set[int]:
    """The users among `user_ids` who still want mail of `kind` (mail is on unless they switched it off)."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return set()
    muted = set(
        MailPreference.objects.filter(user_id__in=ids, kind=kind, by_mail=False).values_list("user_id", flat=True)
    )
    return ids - muted


def notify(
    *,
    user_ids: Iterable[int],
    kind: NotificationKind | str,
    title: Callable[[], str],
    link: str = "",
    dedup_key: str = "",
    mail: bool = True,
) -> list[Notification]:
    """Put a notification in each user's inbox, in the caller's transaction; return the new ones.

    `title` is called once per language (it builds the text with gettext). `link` is the path of the
    object it is about; the page behind it checks the reader's rights as ever. With `dedup_key`, a user
    already told under that key is not told again. `mail=False` when the caller mails by itself (it
    then asks `mail_wanted()`); otherwise a mail is queued for each new recipient who wants this kind.
    """
    wanted_ids = {pk for pk in user_ids if pk is not None}
    if not wanted_ids:
        return []
    # A disabled account is told nothing.
    user_ids = sorted(get_user_model().objects.filter(pk__in=wanted_ids, is_active=True).values_list("pk", flat=True))
    if not user_ids:
        return []
    titles = {}
    for field, language in TITLE_LANGUAGES.items():
        with translation.override(language):
            titles[field] = str(title())[:300]
    now = timezone.now()
    created: list[Notification] = []
    with transaction.atomic():
        if dedup_key:
            told = set(
                Notification.objects.filter(user_id__in=user_ids, dedup_key=dedup_key).values_list("user_id", flat=True)
            )
            user_ids = [pk for pk in user_ids if pk not in told]
        for user_id in user_ids:
            if dedup_key:
                # A concurrent writer of the same key: the unique constraint decides, one of us wins.
                notification, new = Notification.objects.get_or_create(
                    user_id=user_id,
                    dedup_key=dedup_key,
                    defaults={"kind": kind, "link": link[:500], "created_at": now, **titles},
                )
                if not new:
                    continue
            else:
                notification = Notification.objects.create(
                    user_id=user_id, kind=kind, link=link[:500], created_at=now, **titles
                )
            created.append(notification)
        if mail:
            wanted = mail_wanted(user_ids=[n.user_id for n in created], kind=kind)
            for notification in created:
                if notification.user_id in wanted:
                    outbox.enqueue(mail_notification, notification.pk)
    return created


@transaction.atomic
def mark_read(*, user, notification_id: int) -> Notification:
    """The user read one of their notifications (Notification.DoesNotExist for anyone else's)."""
    notification = Notification.objects.of_user(user).select_for_update().get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user) -> int:
    """The user read everything in their inbox; returns how many were unread."""
    return Notification.objects.of_user(user).unread().update(read_at=timezone.now())


@transaction.atomic
def set_mail_preferences(*, user, by_mail: dict[str, bool]) -> None:
    """The user's choice of mail per kind (kinds not named keep their setting)."""
    for kind, wanted in by_mail.items():
        if kind not in NotificationKind.values:
            raise ValueError(f"unknown notification kind {kind!r}")
        MailPreference.objects.update_or_create(user=user, kind=kind, defaults={"by_mail": wanted})


def mail_preferences(*, user) -> dict[str, bool]:
    """Every kind with the user's choice (on unless switched off)."""
    chosen = dict(MailPreference.objects.filter(user=user).values_list("kind", "by_mail"))
    return {kind: chosen.get(kind, True) for kind in NotificationKind.values}


def _absolute(link: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{link}" if base and link.startswith("/") else link


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=40,
    time_limit=120,
)
def mail_notification(self, notification_id: int) -> int:
    """Mail one notification to its user, once, if they still want this kind by mail. Returns 0 or 1."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:
        return 0
    user = notification.user
    if not user.is_active or not user.email or not mail_wanted(user_ids=[user.pk], kind=notification.kind):
        return 0
    with outbox.once(self.request.id) as first:
        if not first:
            return 0
        link = _absolute(notification.link)
        body = "\n".join(part for part in (notification.title_zh, notification.title_en, link) if part)
        subject = f"[wasteparks] {notification.title_zh} / {notification.title_en}"[:200]
        send_mail(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, [user.email])
    return 1
