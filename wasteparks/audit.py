"""The audit hash chain: tampering with the records regulators act on is evident, not only blocked.

The database already refuses changes to these rows (triggers); the chain shows a change made anyway (by
someone who could disable a trigger, or restored from a doctored backup). Every tracked row gets a link
in the transaction that writes it: the SHA-256 digest of a canonical JSON of its business columns,
chained to the previous link's hash. `verify()` (the `verify_audit` command and reporting's nightly job)
recomputes every row's digest and the whole chain and names each row that differs, has no link, or is
gone (except a row that left with its time partition after the retention: wasteparks/partitions.py), and
each link that was altered or removed; `find_problems()` gives the same as Problems that say
which row or link each one concerns, and `parks_of()` whose park's officers answer for those rows (the
nightly job raises reporting's AUDIT_CHAIN_BROKEN warning from them).

The apps declare what they track with `track()` from their AppConfig.ready, so this module imports no
domain app: transfers tracks its ledger entries and manifest signatures, reporting its report revisions
and report events. Rows written before the chain existed are linked once by `backfill()`, run by the
migration wasteparks 0006_audit_backfill.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_save

from .models import AuditLink, DetachedPartition

GENESIS = "0" * 64
# Appends are serialised on one transaction-scoped advisory lock: two writers reading the same last link
# would fork the chain. The key is arbitrary but fixed ("wpaudit" in ASCII).
_LOCK_KEY = 0x777061756469740
BACKFILL_BATCH = 2000

logger = logging.getLogger(__name__)

Extra = Callable[[int], Any]


@dataclass(frozen=True)
class Tracked:
    """A tracked table: the model, the business columns its digest covers, the path from a row to its
    park (whose officers answer for the row), and optionally more content read by row id (a report
    revision's lines)."""

    model: type[models.Model]
    fields: tuple[str, ...]
    park: str
    more: Extra | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def digest(self, values: dict[str, Any]) -> str:
        content = {name: values[name] for name in self.fields}
        if self.more is not None:
            content["_extra"] = self.more(values["pk"])
        return _sha256({"table": self.label, "id": values["pk"], "row": content})

    def rows(self, pks: list[int] | None = None) -> Iterable[dict[str, Any]]:
        queryset = self.model._default_manager.order_by("pk")
        if pks is not None:
            queryset = queryset.filter(pk__in=pks)
        return queryset.values("pk", *self.fields).iterator(chunk_size=2000)

    def parks(self, pks: Iterable[int]) -> dict[int, int]:
        """Row id → park id, for the rows of `pks` that still exist."""
        return dict(self.model._default_manager.filter(pk__in=list(pks)).values_list("pk", self.park))


_TRACKED: dict[str, Tracked] = {}


def track(model: type[models.Model], *, fields: Iterable[str], park: str, extra: Extra | None = None) -> None:
    """Chain every row of `model` saved from now on; call once from the owning app's AppConfig.ready.

    `park` is the path from a row to its park (`"enterprise__park"`): a broken link of the row is for the
    officers of that park.
    """
    tracked = Tracked(model=model, fields=tuple(fields), park=park, more=extra)
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


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _link_rows(tracked: Tracked, pks: list[int]) -> list[AuditLink]:
    """Append one link per row of `pks`, in id order; in a transaction, under the lock."""
    last = AuditLink.objects.order_by("-sequence").values("sequence", "link_hash").first()
    sequence, previous_hash = (last["sequence"], last["link_hash"]) if last else (0, GENESIS)
    links = []
    # Read back what the database holds, so the digest is that of the stored values (rounded decimals,
    # times in UTC) and verify() recomputes exactly the same.
    for values in tracked.rows(pks):
        sequence += 1
        row_digest = tracked.digest(values)
        link_hash = _link_hash(
            sequence=sequence,
            table=tracked.label,
            row_id=values["pk"],
            row_digest=row_digest,
            previous_hash=previous_hash,
        )
        links.append(
            AuditLink(
                sequence=sequence,
                table=tracked.label,
                row_id=values["pk"],
                row_digest=row_digest,
                previous_hash=previous_hash,
                link_hash=link_hash,
            )
        )
        previous_hash = link_hash
    return AuditLink.objects.bulk_create(links)


def append(instance: models.Model) -> AuditLink:
    """Add the link of `instance` (a row of a tracked table, as it now is in the database)."""
    tracked = _TRACKED[instance._meta.label_lower]
    with transaction.atomic():
        _lock()
        [link] = _link_rows(tracked, [instance.pk])
        return link


def backfill(*, batch_size: int = BACKFILL_BATCH) -> int:
    """Link every tracked row that has no link yet: the rows written before the chain existed. Returns
    how many were linked; run again, it links nothing.

    Linking vouches for a row as it is now, so this runs once per database, from the migration that
    brought it in (wasteparks 0006_audit_backfill), not as a routine: a row written without a link after
    that is reported by verify() until someone looks at it. Each batch linked is logged (table, ids).
    Batches are appended one transaction at a time, so writers wait on the chain's lock for one batch at most.
    """
    linked = 0
    for tracked in _TRACKED.values():
        manager = tracked.model._default_manager
        unlinked = manager.filter(~Exists(AuditLink.objects.filter(table=tracked.label, row_id=OuterRef("pk"))))
        while True:
            with transaction.atomic():
                _lock()
                # Ids only, so an empty table is passed over without reading the columns the digest covers.
                pks = list(unlinked.order_by("pk").values_list("pk", flat=True)[:batch_size])
                if pks:
                    _link_rows(tracked, pks)
            if not pks:
                break
            linked += len(pks)
            logger.warning(
                "audit chain: linked %s rows of %s written before the chain (#%s–#%s)",
                len(pks),
                tracked.label,
                pks[0],
                pks[-1],
            )
    return linked


@dataclass(frozen=True)
class Problem:
    """One thing that does not match: `text` says it; `table` and `row_id` name the row it concerns, when
    there is one, and `sequence` the link of the chain, when there is one."""

    text: str
    table: str = ""
    row_id: int | None = None
    sequence: int | None = None

    def __str__(self) -> str:
        return self.text

    @property
    def position(self) -> tuple[int, int]:
        """Chain order: problems of a link first, by sequence; rows without a link after them."""
        return (0, self.sequence) if self.sequence is not None else (1, 0)


def verify() -> list[str]:
    """Everything that does not match, one line each; an empty list means the chain is intact."""
    return [problem.text for problem in find_problems()]


def find_problems() -> list[Problem]:
    """Everything that does not match, in the order verify() prints it."""
    problems: list[Problem] = []
    newest: dict[tuple[str, int], tuple[int, str]] = {}  # (table, row id) → (sequence, digest)
    expected_sequence, previous_hash = 1, GENESIS
    links = AuditLink.objects.order_by("sequence").values_list(
        "sequence", "table", "row_id", "row_digest", "previous_hash", "link_hash"
    )
    for sequence, table, row_id, row_digest, link_previous, link_hash in links.iterator(chunk_size=5000):
        if sequence != expected_sequence:
            problems.append(
                Problem(f"audit link #{expected_sequence}–#{sequence - 1}: missing", sequence=expected_sequence)
            )
        elif link_previous != previous_hash:
            problems.append(
                Problem(
                    f"audit link #{sequence}: does not follow link #{sequence - 1}",
                    table=table,
                    row_id=row_id,
                    sequence=sequence,
                )
            )
        recomputed = _link_hash(
            sequence=sequence, table=table, row_id=row_id, row_digest=row_digest, previous_hash=link_previous
        )
        if recomputed != link_hash:
            problems.append(
                Problem(
                    f"audit link #{sequence}: altered ({table} #{row_id})",
                    table=table,
                    row_id=row_id,
                    sequence=sequence,
                )
            )
        newest[(table, row_id)] = (sequence, row_digest)
        expected_sequence, previous_hash = sequence + 1, link_hash
    for tracked in _TRACKED.values():
        for values in tracked.rows():
            label, pk = tracked.label, values["pk"]
            link = newest.pop((label, pk), None)
            if link is None:
                problems.append(Problem(f"{label} #{pk}: no audit link", table=label, row_id=pk))
            elif tracked.digest(values) != link[1]:
                problems.append(
                    Problem(
                        f"{label} #{pk}: differs from audit link #{link[0]}", table=label, row_id=pk, sequence=link[0]
                    )
                )
    retired = _retired()
    for (table, row_id), (sequence, _digest) in sorted(newest.items()):
        if _detached(retired.get(table, []), row_id):
            continue  # it left with its partition after the retention (manage.py detach_partitions)
        problems.append(
            Problem(
                f"{table} #{row_id}: missing (audit link #{sequence})", table=table, row_id=row_id, sequence=sequence
            )
        )
    return problems


def _retired() -> dict[str, list[tuple[int, int]]]:
    """Per tracked table, the id runs of its rows detached with their partitions, sorted."""
    tables = {tracked.model._meta.db_table: label for label, tracked in _TRACKED.items()}
    retired: dict[str, list[tuple[int, int]]] = {}
    for table, runs in DetachedPartition.objects.filter(table__in=tables).values_list("table", "id_runs"):
        retired.setdefault(tables[table], []).extend((first, last) for first, last in runs)
    return {label: sorted(runs) for label, runs in retired.items()}


def _detached(runs: list[tuple[int, int]], row_id: int) -> bool:
    at = bisect.bisect_right(runs, row_id, key=lambda run: run[0]) - 1
    return at >= 0 and runs[at][0] <= row_id <= runs[at][1]


def parks_of(problems: Iterable[Problem]) -> dict[Problem, int]:
    """The park whose officers answer for each problem's row, for the problems of rows that still exist
    in a tracked table. A link removed or a row deleted has no park to tell: it is not in the answer."""
    wanted: dict[str, set[int]] = {}
    for problem in problems:
        if problem.row_id is not None and problem.table in _TRACKED:
            wanted.setdefault(problem.table, set()).add(problem.row_id)
    parks = {table: _TRACKED[table].parks(pks) for table, pks in wanted.items()}
    return {
        problem: parks[problem.table][problem.row_id]
        for problem in problems
        if problem.row_id is not None and problem.row_id in parks.get(problem.table, {})
    }
