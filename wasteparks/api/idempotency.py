"""Idempotency-Key for POST, PUT and PATCH.

The write and its IdempotencyRecord are one transaction. `claim` inserts the (user, key) row with
INSERT ... ON CONFLICT DO NOTHING: a concurrent request with the same key blocks on the unique index
until the first commits (then finds its stored answer and replays it) or rolls back (then proceeds as
the first). Only successful answers are kept: a failed request rolls back, record and all, so nothing is
written on failure and the client may correct the body and retry with the same key.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from ..models import IdempotencyRecord
from .errors import IdempotencyKeyReused

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_KEY_LENGTH = 255
# Visible ASCII (spaces only inside), as HTTP header values reliably carry; the schema states the same.
KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
LIFETIME = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
_KEPT_HEADERS = ("Location",)


@dataclass
class Claim:
    record: IdempotencyRecord


class Replay(Exception):  # noqa: N818 - control flow, not an error
    """Raised from the view's initial() to answer with a stored response instead of running the handler."""

    def __init__(self, response: Response):
        self.response = response


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.get_full_path().encode())
    digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def claim(request, user) -> Claim | None:
    """Claim the key for this request, or raise Replay with the stored answer. Call inside a transaction."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in METHODS:
        return None
    key = key.strip()
    if not _KEY.match(key):
        raise exceptions.ValidationError(
            {HEADER: [_("Use 1 to %(max)d visible ASCII characters, e.g. a UUID.") % {"max": MAX_KEY_LENGTH}]}
        )
    if not user.is_authenticated:
        return None
    print_ = fingerprint(request)
    records = IdempotencyRecord.objects.filter(user=user, key=key)
    records.filter(created_at__lt=timezone.now() - LIFETIME).delete()
    IdempotencyRecord.objects.bulk_create(
        [IdempotencyRecord(user=user, key=key, fingerprint=print_)], ignore_conflicts=True
    )
    record = records.select_for_update().get()
    if record.fingerprint != print_:
        raise IdempotencyKeyReused(
            _("Idempotency-Key %(key)r was already used for a different request (method, path or body).") % {"key": key}
        )
    if record.response_status is not None:
        headers = {**record.response_headers, REPLAYED_HEADER: "true"}
        raise Replay(Response(record.response_body, status=record.response_status, headers=headers))
    return Claim(record)


def store(claim_: Claim, response) -> None:
    """Keep a successful answer for replays; the caller's transaction commits it with the write."""
    record = claim_.record
    record.response_status = response.status_code
    data = getattr(response, "data", None)
    record.response_body = json.loads(json.dumps(data, cls=DjangoJSONEncoder)) if data is not None else None
    record.response_headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
    record.save(update_fields=["response_status", "response_body", "response_headers"])


def purge(now=None) -> int:
    """Delete records past their 24 hours; returns how many. Run it daily (e.g. from Celery beat)."""
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=(now or timezone.now()) - LIFETIME).delete()
    return deleted
