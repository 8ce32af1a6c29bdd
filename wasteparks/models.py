"""The transactional outbox: Celery messages written in the same transaction as the change they follow.

A request that changes data and queues a side effect (a mail, a rule check, a recompute) writes the
message here, in its own transaction. After commit the message is published at once if the broker
answers; if it does not (Redis down), the row stays unsent and the relay publishes it once the broker is
back. A message is published at least once, so the tasks behind it are idempotent.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


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
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["available_at", "id"], name="outbox_unsent", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M:%S}" if self.sent_at else f"unsent, {self.attempts} attempts"
        return f"{self.task} #{self.pk} ({state})"
