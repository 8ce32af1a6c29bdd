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
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
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
