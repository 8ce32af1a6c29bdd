"""Project-wide tables and model bases: what every app builds on and no single domain app owns.

- `Timestamped`, `tonnes_field` and `touch`: the bases of every synced table (created/updated times, the
  (updated_at, id) sync order) and of every quantity.
- `OutboxMessage`: the transactional outbox. A request that changes data and queues a side effect (a
  mail, a rule check, a recompute) writes the message here, in its own transaction; the relay publishes
  it after the commit (wasteparks/outbox.py), and a row the broker did not take (Redis down) stays unsent
  until a later pass. A message is published at least once, so the tasks behind it are idempotent.
- `IdempotencyRecord`: the API's stored answers to writes sent with an Idempotency-Key
  (wasteparks/api/idempotency.py).
- `AuditLink`: the hash chain over the records regulators act on (wasteparks/audit.py).
- `DetachedPartition`: the time partitions taken out of their tables after the retention
  (wasteparks/partitions.py).
"""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- Bases of the domain tables -------------------------------------------------------------------


def tonnes_field(verbose_name: StrOrPromise, **kwargs) -> models.DecimalField:
    """Quantities are Decimal tonnes with 4 places (0.1 kg), never float."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=4, **kwargs)


def touch(model, pk) -> None:
    """Move a row forward in the sync order without changing anything else."""
    if pk is not None:
        model.objects.filter(pk=pk).update(updated_at=timezone.now())


@functools.cache
def _choice_labels(field: models.Field) -> dict:
    """A field's choices as value -> label (lazy: each call of str() translates it anew). Choices are
    enumerations fixed when the model is defined."""
    return dict(make_hashable(field.flatchoices))


class Timestamped(models.Model):
    """created_at/updated_at on every synced table; (updated_at, id) is the incremental sync order.

    A model that the API nests inside a parent (a facility in its enterprise) names the parent's foreign
    key in `sync_parents`; saving or deleting the child moves the parent forward too, so a mirror that
    syncs the parent sees the change.
    """

    sync_parents: tuple[str, ...] = ()

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Set by the database on every write (wasteparks/sync.py): the change cursor of incremental sync.
    sync_version = models.BigIntegerField(_("change version"), default=0, editable=False)

    class Meta:
        abstract = True
        indexes = [
            models.Index(fields=["updated_at", "id"], name="%(app_label)s_%(class)s_sync"),
            models.Index(fields=["sync_version", "id"], name="%(class)s_changes"),
        ]

    def save(self, *args, **kwargs):
        # auto_now is only written when it is among update_fields; a partial save must still move the
        # row forward in the sync order, or a mirror would never see the change.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "updated_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "updated_at"]
        super().save(*args, **kwargs)
        self.touch_sync_parents()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.touch_sync_parents()
        return result

    def _get_FIELD_display(self, field):  # noqa: N802 (Django's name for what get_<field>_display calls)
        """What `get_<field>_display()` returns, as Django's does, without building the field's whole choice
        dict on every call: a list of 50 rows calls it twice per row."""
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(make_hashable(value), value), strings_only=True)

    def touch_sync_parents(self) -> None:
        for name in self.sync_parents:
            field = cast(models.ForeignKey, self._meta.get_field(name))  # sync parents are foreign keys
            touch(field.related_model, getattr(self, field.attname))
            parent = getattr(self, name)
            if isinstance(parent, Timestamped):
                parent.touch_sync_parents()


class TombstoneQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A deleted row's readers: the officers of its park (or its enterprise's park) and province,
        its enterprise's members, and province-wide readers; a row with neither, province-wide readers."""
        from registry.models import Enterprise, Park
        from registry.tenancy import NOTHING, scope_of

        scope = scope_of(user)
        if scope.everything:
            return self
        condition = NOTHING
        parks = Park.objects.filter(
            Q(pk__in=scope.park_ids) | Q(division__province_code__in=scope.province_codes)
        ).values("pk")
        if scope.is_officer:
            enterprises = Enterprise.objects.filter(park__in=parks).values("pk")
            condition |= Q(park_id__in=parks) | Q(enterprise_id__in=enterprises)
        if scope.enterprise_ids:
            condition |= Q(enterprise_id__in=scope.enterprise_ids)
        return self.filter(condition)


class Tombstone(Timestamped):
    """A synced row that was deleted (a recomputed month's figures that no longer exist): written by a
    trigger in the deleting transaction (wasteparks/sync.py), served as `/api/v1/deletions/`, so a mirror
    can delete its copy. Scoped like the row it replaces, through the row's park and enterprise."""

    collection = models.CharField(_("collection"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    # Plain ids, not foreign keys: the deleted row's park or enterprise outlives it, but nothing here
    # may stop a park or an enterprise being deleted by an administrator.
    park_id = models.BigIntegerField(_("park"), null=True, blank=True)
    enterprise_id = models.BigIntegerField(_("enterprise"), null=True, blank=True)

    objects = TombstoneQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["id"]
        verbose_name = _("deleted row")
        verbose_name_plural = _("deleted rows")

    def __str__(self) -> str:
        return f"{self.collection} #{self.object_id}"


# --- The outbox of side effects queued for Celery (wasteparks/outbox.py) ----------------------------


class OutboxMessage(models.Model):
    """One side effect queued in the transaction that caused it. On PostgreSQL the table is partitioned by
    month of `created_at` (wasteparks/partitions.py): rows are only updated in place (sent, done), and old
    months leave whole."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    # The Celery task id: a message published twice (relay after a lost acknowledgement) keeps its id.
    task_id = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set by a task whose effect cannot be repeated harmlessly (a mail), in the transaction of that effect:
    # a redelivered message then finds it done (wasteparks.outbox.once).
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["available_at", "id"], name="outbox_unsent", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M:%S}" if self.sent_at else f"unsent, {self.attempts} attempts"
        return f"{self.task} #{self.pk} ({state})"


# --- API idempotency (wasteparks/api/idempotency.py) ----------------------------------------------


class IdempotencyRecord(models.Model):
    """The first successful answer to a write sent with an Idempotency-Key, replayed on retries.

    Unique per (user, key): a second request with the key waits on the first one's row and then gets
    its stored answer. Records older than 24 hours are deleted by `wasteparks.api.idempotency.purge`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("user"))
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        # The table was created by the registry app, which held this model first; it keeps its name.
        db_table = "registry_idempotencyrecord"
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.key}"


# --- The audit hash chain (wasteparks/audit.py) -----------------------------------------------------


class AuditLink(models.Model):
    """One link of the hash chain: a digest of one tracked row as written, chained to the link before.

    Appended in the transaction that writes the row; append-only in the database. A row written again
    through the application (a report revision when it is reviewed) gets a new link; the newest link of
    a row is what the row must still digest to.
    """

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    table = models.CharField(_("table"), max_length=100)
    row_id = models.PositiveBigIntegerField(_("row id"))
    row_digest = models.CharField(_("row digest"), max_length=64)
    previous_hash = models.CharField(_("previous link hash"), max_length=64)
    link_hash = models.CharField(_("link hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit link")
        verbose_name_plural = _("audit links")
        indexes = [models.Index(fields=["table", "row_id"], name="audit_link_row")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.table} {self.row_id}"


# --- Partitions detached after their retention (wasteparks/partitions.py) ---------------------------


class DetachedPartition(models.Model):
    """A partition `manage.py detach_partitions` took out of its table after the retention: which, the
    period it covered, and the ids of its rows as runs `[[first, last], ...]`. The audit chain's
    verification reads it: a chained row among these ids left with its partition, it was not deleted.
    Append-only, like the chain (wasteparks/migrations/0011_time_partitions.py)."""

    table = models.CharField(max_length=63)
    partition = models.CharField(max_length=63)
    start = models.DateTimeField()
    end = models.DateTimeField()
    rows = models.PositiveBigIntegerField()
    id_runs = models.JSONField(default=list)
    detached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["table", "start"]

    def __str__(self) -> str:
        return f"{self.partition} ({self.rows} rows, detached {self.detached_at:%Y-%m-%d})"


# --- The in-app inbox (wasteparks/inbox.py) ---------------------------------------------------------


class NotificationKind(models.TextChoices):
    """What a notification is about; each kind's mail can be switched off by its recipient."""

    CRITICAL_WARNING = "critical_warning", _("Critical warnings")
    WARNING_DIGEST = "warning_digest", _("Daily digest of warnings")
    DISCREPANCY = "discrepancy", _("Quantity discrepancies on my manifests")
    REPORT_RETURNED = "report_returned", _("Returned monthly reports")
    DEADLINE = "deadline", _("Approaching deadlines")
    INVITATION = "invitation", _("Invitations")
    JOB_FINISHED = "job_finished", _("Finished background jobs")
    WEBHOOK_DISABLED = "webhook_disabled", _("Disabled webhook subscriptions")


class NotificationQuerySet(models.QuerySet):
    def of_user(self, user) -> NotificationQuerySet:
        """A user's own notifications: the only ones anybody may see or mark."""
        return self.filter(user_id=user.pk)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at=None)


class Notification(models.Model):
    """One entry of a user's inbox, written in the transaction of the event it tells of.

    The title is stored in each language the platform speaks: the event's actor and the recipient may
    use different ones. `dedup_key` (when given) makes telling the same user the same thing twice a no-op.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    link = models.CharField(_("link"), max_length=500, blank=True)
    dedup_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_inbox"),
            models.Index(fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedup_key"], condition=~Q(dedup_key=""), name="notification_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.title_en}"

    @property
    def title(self) -> str:
        from django.utils.translation import get_language

        return self.title_zh if (get_language() or "").startswith("zh") else self.title_en


class MailPreference(models.Model):
    """A user's choice of mail for one kind of notification; without a row, mail is on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    by_mail = models.BooleanField(_("by mail"), default=True)

    class Meta:
        verbose_name = _("mail preference")
        verbose_name_plural = _("mail preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="mail_preference_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}: {'on' if self.by_mail else 'off'}"


# --- Exports built in the background (wasteparks/background_exports.py) ---------------------------


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class BackgroundExportQuerySet(models.QuerySet):
    def of_owner(self, user) -> BackgroundExportQuerySet:
        """Only whoever asked for an export sees it (it holds the rows of their view)."""
        return self.filter(owner_id=user.pk)

    def expired(self, now=None) -> BackgroundExportQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())


class BackgroundExport(models.Model):
    """A list export too large to build inside the request: built by a Celery task as its owner would
    see the list (the same view, the same filters), stored here, downloadable by the owner until
    `expires_at`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("owner"))
    title = models.CharField(_("title"), max_length=200)
    path = models.CharField(_("list path"), max_length=500)
    query = models.TextField(_("list query"), blank=True)
    language = models.CharField(_("language"), max_length=10)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    # The Celery task that builds it (its progress is read from the result backend).
    task_id = models.UUIDField(_("task id"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=120, blank=True)
    content = models.BinaryField(_("content"), null=True, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)

    objects = BackgroundExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background export")
        verbose_name_plural = _("background exports")
        indexes = [models.Index(fields=["owner", "-created_at"], name="export_of_owner")]

    def __str__(self) -> str:
        return f"{self.title} ({self.owner})"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())


# --- Login audit ----------------------------------------------------------------------------------


class LoginStep(models.TextChoices):
    PASSWORD = "password", _("Password")
    SECOND_FACTOR = "second_factor", _("Second factor")
    LOGOUT = "logout", _("Sign-out")


class LoginEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> LoginEventQuerySet:
        """A provincial officer reads the sign-ins of the people of the province (its officers and the staff
        of its enterprises); a system administrator reads all, including attempts on unknown user names."""
        from registry.models import User
        from registry.tenancy import scope_of

        scope = scope_of(user)
        if scope.everything and not scope.read_only:
            return self.all()
        if not scope.province_codes:
            return self.none()
        codes = scope.province_codes
        people = User.objects.filter(
            Q(jurisdictions__province_code__in=codes)
            | Q(jurisdictions__park__division__province_code__in=codes)
            | Q(enterprise_memberships__enterprise__park__division__province_code__in=codes)
        ).values("pk")
        return self.filter(user_id__in=people)


class LoginEvent(models.Model):
    """One sign-in attempt or sign-out (GB/T 22239-2019 level 3, security audit): who, when, from where,
    which step and whether it succeeded. Append-only (wasteparks/migrations/0009_login_audit.py): the user
    is kept by id and name without a foreign-key constraint, so deleting an account never rewrites it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("user name"), max_length=150)
    at = models.DateTimeField(_("time"), default=timezone.now)
    step = models.CharField(_("step"), max_length=20, choices=LoginStep.choices)
    succeeded = models.BooleanField(_("succeeded"))
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    objects = LoginEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("login event")
        verbose_name_plural = _("login events")
        indexes = [
            models.Index(fields=["-at", "-id"], name="login_event_recent"),
            models.Index(fields=["user", "-at"], name="login_event_of_user"),
        ]

    def __str__(self) -> str:
        return f"{self.username} · {self.step} · {'ok' if self.succeeded else 'failed'} · {self.at:%Y-%m-%d %H:%M}"


# --- Webhooks: subscriptions of API clients and their deliveries (wasteparks/webhooks.py) ----------


class WebhookEventType(models.TextChoices):
    MANIFEST_CHANGED = "manifest.changed", _("A manifest changed status")
    REPORT_CHANGED = "report.changed", _("A monthly report changed status")
    WARNING_CHANGED = "warning.changed", _("An officer acted on a warning")


class WebhookSubscriptionQuerySet(models.QuerySet):
    def visible_to(self, user) -> WebhookSubscriptionQuerySet:
        """An API client sees and manages only its own subscriptions."""
        return self.filter(client__user_id=user.pk)


class WebhookSubscription(models.Model):
    """An API client's request to be told of events by an HTTPS POST to `url`.

    The secret signs each delivery (HMAC-SHA256), so it must be readable by the sender: it is stored as
    issued and never shown again after the answer that created the subscription."""

    client = models.ForeignKey(
        "registry.ApiClient", models.CASCADE, related_name="webhook_subscriptions", verbose_name=_("API client")
    )
    url = models.URLField(_("target URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("reason for disabling"), max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.url


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDeliveryQuerySet(models.QuerySet):
    def visible_to(self, user) -> WebhookDeliveryQuerySet:
        return self.filter(subscription__client__user_id=user.pk)

    def due(self, now) -> WebhookDeliveryQuerySet:
        """Pending deliveries whose next attempt has come (the retry sweep's work)."""
        return self.filter(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now)


class WebhookDelivery(models.Model):
    """One event for one subscription, and the outcome of its attempts."""

    subscription = models.ForeignKey(
        WebhookSubscription, models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    event_type = models.CharField(_("event type"), max_length=40, choices=WebhookEventType.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response excerpt"), max_length=500, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("duration of the last attempt (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
