"""The audit hash chain: tampering with the records regulators act on is evident, not only blocked.

The database already refuses changes to these rows (triggers); the chain shows a change made anyway (by
someone who could disable a trigger, or restored from a doctored backup). Every tracked row gets a link
in the transaction that writes it: the SHA-256 digest of a canonical JSON of its business columns,
chained to the previous link's hash. `verify()` (the `verify_audit` command and reporting's nightly job)
recomputes every row's digest and the whole chain and names each row that differs, has no link, or is
gone, and each link that was altered or removed.

The apps declare what they track with `track()` from their AppConfig.ready, so this module imports no
domain app: transfers tracks its ledger entries and manifest signatures, reporting its report revisions
and report events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models.signals import post_save

from .models import AuditLink

GENESIS = "0" * 64
# Appends are serialised on one transaction-scoped advisory lock: two writers reading the same last link
# would fork the chain. The key is arbitrary but fixed ("wpaudit" in ASCII).
_LOCK_KEY = 0x777061756469740

Extra = Callable[[int], Any]


@dataclass(frozen=True)
class Tracked:
    """A tracked table: the model, the business columns its digest covers, and optionally more content
    read by row id (a report revision's lines)."""

    model: type[models.Model]
    fields: tuple[str, ...]
    more: Extra | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def digest(self, values: dict[str, Any]) -> str:
        content = {name: values[name] for name in self.fields}
        if self.more is not None:
            content["_extra"] = self.more(values["pk"])
        return _sha256({"table": self.label, "id": values["pk"], "row": content})

    def rows(self, pk: int | None = None) -> Iterable[dict[str, Any]]:
        queryset = self.model._default_manager.order_by("pk")
        if pk is not None:
            queryset = queryset.filter(pk=pk)
        return queryset.values("pk", *self.fields).iterator(chunk_size=2000)


_TRACKED: dict[str, Tracked] = {}


def track(model: type[models.Model], *, fields: Iterable[str], extra: Extra | None = None) -> None:
    """Chain every row of `model` saved from now on; call once from the owning app's AppConfig.ready."""
    tracked = Tracked(model=model, fields=tuple(fields), more=extra)
    _TRACKED[tracked.label] = tracked
    post_save.connect(_on_save, sender=model, dispatch_uid=f"wasteparks.audit:{tracked.label}")


def _on_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    append(instance)


def _plain(value: Any) -> Any:
    """One spelling per value, whatever the database or the Python object held."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _sha256(content: Any) -> str:
    text = json.dumps(_plain(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _link_hash(*, sequence: int, table: str, row_id: int, row_digest: str, previous_hash: str) -> str:
    return _sha256([sequence, table, row_id, row_digest, previous_hash])


def append(instance: models.Model) -> AuditLink:
    """Add the link of `instance` (a row of a tracked table, as it now is in the database)."""
    tracked = _TRACKED[instance._meta.label_lower]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        # Read back what the database holds, so the digest is that of the stored values (rounded decimals,
        # times in UTC) and verify() recomputes exactly the same.
        row_digest = tracked.digest(next(iter(tracked.rows(instance.pk))))
        last = AuditLink.objects.order_by("-sequence").values("sequence", "link_hash").first()
        sequence = last["sequence"] + 1 if last else 1
        previous_hash = last["link_hash"] if last else GENESIS
        return AuditLink.objects.create(
            sequence=sequence,
            table=tracked.label,
            row_id=instance.pk,
            row_digest=row_digest,
            previous_hash=previous_hash,
            link_hash=_link_hash(
                sequence=sequence,
                table=tracked.label,
                row_id=instance.pk,
                row_digest=row_digest,
                previous_hash=previous_hash,
            ),
        )


def verify() -> list[str]:
    """Everything that does not match, one line each; an empty list means the chain is intact."""
    problems: list[str] = []
    newest: dict[tuple[str, int], tuple[int, str]] = {}  # (table, row id) → (sequence, digest)
    expected_sequence, previous_hash = 1, GENESIS
    links = AuditLink.objects.order_by("sequence").values_list(
        "sequence", "table", "row_id", "row_digest", "previous_hash", "link_hash"
    )
    for sequence, table, row_id, row_digest, link_previous, link_hash in links.iterator(chunk_size=5000):
        if sequence != expected_sequence:
            problems.append(f"audit link #{expected_sequence}–#{sequence - 1}: missing")
        elif link_previous != previous_hash:
            problems.append(f"audit link #{sequence}: does not follow link #{sequence - 1}")
        recomputed = _link_hash(
            sequence=sequence, table=table, row_id=row_id, row_digest=row_digest, previous_hash=link_previous
        )
        if recomputed != link_hash:
            problems.append(f"audit link #{sequence}: altered ({table} #{row_id})")
        newest[(table, row_id)] = (sequence, row_digest)
        expected_sequence, previous_hash = sequence + 1, link_hash
    for tracked in _TRACKED.values():
        for values in tracked.rows():
            link = newest.pop((tracked.label, values["pk"]), None)
            if link is None:
                problems.append(f"{tracked.label} #{values['pk']}: no audit link")
            elif tracked.digest(values) != link[1]:
                problems.append(f"{tracked.label} #{values['pk']}: differs from audit link #{link[0]}")
    for (table, row_id), (sequence, _digest) in sorted(newest.items()):
        problems.append(f"{table} #{row_id}: missing (audit link #{sequence})")
    return problems
