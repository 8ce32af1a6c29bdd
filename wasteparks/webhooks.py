"""Webhooks: tell API clients of events by a signed HTTPS POST, never from the request that caused them.

`publish_event()` runs in the caller's transaction: it writes one WebhookDelivery per matching active
subscription whose client may see the subject (the same `visible_to()` the API reads through), and
queues each sending through the outbox, so deliveries exist exactly when the change does.

`deliver()` makes one attempt. A failure (no answer within the timeout, or a status outside 2xx) keeps
the delivery pending with `next_attempt_at` set by exponential backoff; the beat sweep
`retry_due_deliveries` queues what is due. The backoff lives on the row rather than in the broker, so a
Redis restart loses no retry. After WEBHOOK_MAX_ATTEMPTS the delivery is failed; after
WEBHOOK_DISABLE_AFTER failures in a row the subscription is disabled and the client's creator told.

Signature (docs/api.md, "Webhooks"): `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>" with the subscription's secret>`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import inbox, outbox
from .errors import DomainError, TransitionNotAllowed
from .models import (
    NotificationKind,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEventType,
    WebhookSubscription,
)

# The first retry waits this long; each further one twice as long, up to BACKOFF_MAX.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
EXCERPT_LENGTH = 500


class UnsafeTarget(DomainError):
    """The target URL is not https, or names a private, loopback or otherwise internal host (SSRF)."""

    code = "webhook_target_refused"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The `Webhook-Signature` header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def check_target(url: str) -> None:
    """Refuse a URL that is not https (unless allowed) or whose host resolves to a non-public address.

    Checked when a subscription is saved and again before each attempt, since a name may resolve
    elsewhere later."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.WEBHOOK_ALLOW_HTTP):
        raise UnsafeTarget(_("The target URL must use https."), fields={"url": [_("The target URL must use https.")]})
    if not parts.hostname:
        raise UnsafeTarget(_("The target URL has no host."), fields={"url": [_("The target URL has no host.")]})
    if settings.WEBHOOK_ALLOW_PRIVATE_HOSTS:
        return
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (socket.gaierror, UnicodeError):
        message = _("The target host cannot be resolved.")
        raise UnsafeTarget(message, fields={"url": [message]}) from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global:
            message = _("The target host is a private or internal address.")
            raise UnsafeTarget(message, fields={"url": [message]})


@transaction.atomic
def subscribe(*, client, url: str, event_types: list[str]) -> WebhookSubscription:
    """Subscribe an API client; the new row's `secret` is to be shown in this answer only."""
    check_target(url)
    return WebhookSubscription.objects.create(
        client=client, url=url, event_types=sorted(set(event_types)), secret=new_secret()
    )


@transaction.atomic
def change_subscription(*, subscription: WebhookSubscription, url: str, event_types: list[str]) -> WebhookSubscription:
    check_target(url)
    subscription.url = url
    subscription.event_types = sorted(set(event_types))
    subscription.save(update_fields=["url", "event_types", "updated_at"])
    return subscription


@transaction.atomic
def reenable_subscription(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """The client's own re-enabling after it has fixed its endpoint; the failure count starts again."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.is_active = True
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.consecutive_failures = 0
    subscription.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "consecutive_failures", "updated_at"]
    )
    return subscription


@transaction.atomic
def replay_delivery(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same event id, so the subscriber can tell a repeat), as a new attempt run."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if not delivery.subscription.is_active:
        raise TransitionNotAllowed(_("The subscription is disabled; enable it before replaying."))
    delivery.status = WebhookDeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    outbox.enqueue(deliver_webhook, delivery.pk)
    return delivery


def _subscriptions(event_type: WebhookEventType | str, *, enterprise_ids=None) -> list[WebhookSubscription]:
    """The active subscriptions to `event_type` of clients that may read records: the provincial ones,
    and (all, or those of `enterprise_ids`) the enterprises'. The event types are matched here rather
    than in SQL: a JSON containment lookup has no equivalent on the embedded database, and a platform
    has tens of subscriptions, not thousands."""
    from registry.models import ApiScope

    candidates = WebhookSubscription.objects.filter(
        is_active=True, client__revoked_at=None, client__expires_at__gt=timezone.now()
    ).select_related("client__user")
    enterprises = candidates.filter(client__scope=ApiScope.ENTERPRISE)
    if enterprise_ids is not None:
        enterprises = enterprises.filter(client__enterprise_id__in=list(enterprise_ids))
    candidates = candidates.filter(client__scope=ApiScope.READ_ALL) | enterprises
    return [subscription for subscription in candidates if str(event_type) in subscription.event_types]


def publish_event(
    *, event_type: WebhookEventType | str, subject, payload: dict, park_id: int, enterprise_ids: list[int]
) -> list[WebhookDelivery]:
    """Write the deliveries of one event, in the caller's transaction, and queue their sending.

    `subject` is the model instance the event is about; a subscriber receives it only when its client
    may read that instance through the API (`visible_to`). `park_id` and `enterprise_ids` narrow the
    candidates first, so a provincial event does not scan every enterprise's subscriptions."""
    candidates = _subscriptions(event_type, enterprise_ids=enterprise_ids)
    model = type(subject)
    created = []
    event_id = None
    for subscription in candidates:
        if not model.objects.visible_to(subscription.client.user).filter(pk=subject.pk).exists():
            continue
        delivery = WebhookDelivery(
            subscription=subscription,
            event_type=str(event_type),
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
            next_attempt_at=timezone.now(),
        )
        # One event, one id across its subscribers.
        event_id = event_id or delivery.event_id
        delivery.event_id = event_id
        delivery.save()
        outbox.enqueue(deliver_webhook, delivery.pk)
        created.append(delivery)
    return created


def publish_events(*, event_type: WebhookEventType | str, rows, payload_of) -> int:
    """The events of many rows of one model at once (a warning scan raises or closes thousands): one
    query when nobody subscribes, otherwise one per subscription for the rows its client may read
    (`visible_to`). `rows` is a queryset; `payload_of(row)` gives each row's payload. Returns the number
    of deliveries written, in the caller's transaction, each queued through the outbox."""
    subscriptions = _subscriptions(event_type)
    if not subscriptions:
        return 0
    ids = list(rows.values_list("pk", flat=True))
    payloads: dict[int, dict] = {}
    event_ids: dict = {}
    written = 0
    for subscription in subscriptions:
        visible = rows.model.objects.visible_to(subscription.client.user).filter(pk__in=ids).order_by("pk")
        deliveries = []
        for row in visible:
            if row.pk not in payloads:
                payloads[row.pk] = json.loads(json.dumps(payload_of(row), cls=DjangoJSONEncoder))
            delivery = WebhookDelivery(
                subscription=subscription,
                event_type=str(event_type),
                payload=payloads[row.pk],
                next_attempt_at=timezone.now(),
            )
            # One event, one id across its subscribers.
            delivery.event_id = event_ids.setdefault(row.pk, delivery.event_id)
            deliveries.append(delivery)
        for delivery in WebhookDelivery.objects.bulk_create(deliveries):
            outbox.enqueue(deliver_webhook, delivery.pk)
        written += len(deliveries)
    return written


def body_of(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.event_id),
        "type": delivery.event_type,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """One POST; (status code or None when no answer came, an excerpt of the answer or the error)."""
    subscription = delivery.subscription
    body = body_of(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked by check_target() below
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "wasteparks-webhooks/1",
            "Webhook-Id": str(delivery.event_id),
            "Webhook-Event": delivery.event_type,
            "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": sign(secret=subscription.secret, timestamp=timestamp, body=body),
        },
    )
    try:
        check_target(subscription.url)
        # The timeout bounds the connect and each read; no redirect is followed to a host not checked.
        opener = urllib.request.build_opener(_NoRedirect)
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, response.read(EXCERPT_LENGTH).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(EXCERPT_LENGTH).decode(errors="replace")
    except (OSError, UnsafeTarget) as error:  # refused, reset, timed out, unresolvable, now unsafe
        return None, f"{type(error).__name__}: {error}"[:EXCERPT_LENGTH]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... up to 6 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt at a pending delivery and record its outcome. Safe to run twice: a delivered,
    failed or not yet due delivery is left alone."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDeliveryStatus.PENDING or not delivery.subscription.is_active:
        return delivery
    started = time.monotonic()
    # The POST runs outside any transaction: a slow subscriber must not hold a lock or a connection open.
    status_code, excerpt = _post(delivery)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery_id=delivery.pk, status_code=status_code, excerpt=excerpt, elapsed_ms=elapsed_ms)


@transaction.atomic
def _record(*, delivery_id: int, status_code: int | None, excerpt: str, elapsed_ms: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.response_excerpt = excerpt[:EXCERPT_LENGTH]
    delivery.last_duration_ms = elapsed_ms
    delivery.last_attempt_at = now
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookDeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        subscription.consecutive_failures = 0
        subscription.save(update_fields=["consecutive_failures"])
    else:
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        subscription.consecutive_failures = F("consecutive_failures") + 1
        subscription.save(update_fields=["consecutive_failures"])
        subscription.refresh_from_db(fields=["consecutive_failures"])
        if subscription.is_active and subscription.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER:
            _disable(subscription=subscription, now=now)
    delivery.save()
    return delivery


def _disable(*, subscription: WebhookSubscription, now) -> None:
    limit = settings.WEBHOOK_DISABLE_AFTER
    subscription.is_active = False
    subscription.disabled_at = now
    # A code, not prose: the API shows it to clients in any language.
    subscription.disabled_reason = "consecutive_failures"
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    # Nothing more goes to a disabled subscriber; its pending deliveries stay for a replay.
    creator_id = subscription.client.created_by_id
    url = subscription.url
    inbox.notify(
        user_ids=[creator_id] if creator_id else [],
        kind=NotificationKind.WEBHOOK_DISABLED,
        title=lambda: (
            _("Webhook to %(url)s disabled after %(count)d failed deliveries in a row") % {"url": url, "count": limit}
        ),
        dedup_key=f"webhook-disabled:{subscription.pk}:{now.isoformat()}",
    )


@shared_task(name="wasteparks.webhooks.deliver_webhook", ignore_result=True, acks_late=True, time_limit=120)
def deliver_webhook(delivery_id: int) -> None:
    deliver(delivery_id=delivery_id)


@shared_task(name="wasteparks.webhooks.retry_due_deliveries", ignore_result=True, acks_late=True, time_limit=120)
def retry_due_deliveries() -> int:
    """Every minute (beat): queue the pending deliveries whose next attempt is due."""
    return queue_due(now=timezone.now())


@transaction.atomic
def queue_due(*, now) -> int:
    ids = list(
        WebhookDelivery.objects.due(now)
        .filter(subscription__is_active=True, attempts__gt=0)
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        outbox.enqueue(deliver_webhook, pk)
    return len(ids)


def _on_manifest_changed(sender, *, manifest_id: int, action: str, **kwargs) -> None:
    # Inside the transfer's transaction (transfers/signals.py): deliveries commit or roll back with it.
    from django.urls import reverse

    from transfers.models import Manifest

    manifest = Manifest.objects.select_related("consignor").get(pk=manifest_id)
    if action in ("create", "edit"):
        return  # a draft's edits are not events: only status changes are published
    publish_event(
        event_type=WebhookEventType.MANIFEST_CHANGED,
        subject=manifest,
        payload={
            "manifest_id": manifest.pk,
            "number": manifest.number,
            "action": str(action),
            "status": manifest.status,
            "updated_at": manifest.updated_at,
            "url": reverse("api:manifest-detail", args=[manifest.pk]),
        },
        park_id=manifest.consignor.park_id,
        enterprise_ids=[manifest.consignor_id, manifest.carrier_id, manifest.receiver_id],
    )


def publish_report_changed(*, report, action: str) -> None:
    """A monthly report moved (filed, returned, accepted ...): called by reporting's services in their
    transaction, with the report's new status."""
    from django.urls import reverse

    publish_event(
        event_type=WebhookEventType.REPORT_CHANGED,
        subject=report,
        payload={
            "report_id": report.pk,
            "enterprise_id": report.enterprise_id,
            "action": str(action),
            "status": report.status,
            "updated_at": report.updated_at,
            "url": reverse("api:monthly-report-detail", args=[report.pk]),
        },
        park_id=report.enterprise.park_id,
        enterprise_ids=[report.enterprise_id],
    )


def _warning_payload(warning, action: str) -> dict:
    from django.urls import reverse

    return {
        "warning_id": warning.pk,
        "rule": warning.rule,
        "severity": warning.severity,
        "park_id": warning.park_id,
        "enterprise_id": warning.enterprise_id,
        "action": str(action),
        "status": warning.status,
        "updated_at": warning.updated_at,
        "url": reverse("api:warning-detail", args=[warning.pk]),
    }


def publish_warning_changed(*, warning, action: str) -> None:
    """An officer moved a warning (acknowledged, assigned, resolved, dismissed)."""
    publish_event(
        event_type=WebhookEventType.WARNING_CHANGED,
        subject=warning,
        payload=_warning_payload(warning, action),
        park_id=warning.park_id,
        enterprise_ids=[warning.enterprise_id] if warning.enterprise_id else [],
    )


def publish_warnings_changed(*, warnings, action: str) -> int:
    """The rule engine raised, escalated or closed these warnings (a queryset) in one run."""
    return publish_events(
        event_type=WebhookEventType.WARNING_CHANGED,
        rows=warnings,
        payload_of=lambda warning: _warning_payload(warning, action),
    )


def _connect() -> None:
    from transfers.signals import manifest_changed

    manifest_changed.connect(_on_manifest_changed, dispatch_uid="wasteparks.webhooks.manifest_changed")


_connect()
