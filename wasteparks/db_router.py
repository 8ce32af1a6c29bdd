"""Read replicas (docs/scaling.md "Read replicas"): which database a query goes to.

Everything goes to the primary (`default`) unless a view asked for the replica (`ReplicaReadsMixin`, `replica_reads()`)
(the sync API, dashboards, lists, exports). Even then the primary answers when
- no replica is configured (`DATABASE_REPLICA_URL` empty), or it failed to connect within the last
  `REPLICA_RETRY_SECONDS` (its connect timeout is short, so a dead replica costs one short wait per period);
- the request is pinned to the primary: its user wrote within `REPLICA_PIN_SECONDS` (`PinAfterWriteMiddleware`
  sets a cookie on every non-safe request), so they read their own writes;
- a transaction is open on the primary: a service's read-modify-write reads what it is about to change.

Routing is explicit per view, never "all reads to the replica", so no service reads stale rows by accident.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
PIN_COOKIE = "wp_primary"

_wanted: ContextVar[bool] = ContextVar("reads_from_replica", default=False)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)
_failed_at: dict[str, float] = {}  # alias -> time.monotonic() of the last failed connection


def configured() -> bool:
    return REPLICA in settings.DATABASES


def _reachable() -> bool:
    """Connects once if need be; a failure is remembered for REPLICA_RETRY_SECONDS so reads go on to the
    primary without waiting on the replica's connect timeout again."""
    failed = _failed_at.get(REPLICA)
    if failed is not None and time.monotonic() - failed < settings.REPLICA_RETRY_SECONDS:
        return False
    connection = connections[REPLICA]
    try:
        connection.ensure_connection()
    except Exception:
        _failed_at[REPLICA] = time.monotonic()
        connection.close()
        return False
    _failed_at.pop(REPLICA, None)
    return True


def read_alias() -> str:
    """Where a read in the current context goes (see the module docstring)."""
    if not _wanted.get() or _pinned.get() or not configured() or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return REPLICA if _reachable() else PRIMARY


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def reads_from_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A function view whose reads may go to the replica: a dashboard, a list, an export. Put it under
    `login_required`, so the user and the session are read from the primary before it applies."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaReadsMixin:
    """A view whose reads may go to the replica (its writes still go to the primary); function views and
    other code use `with replica_reads():`."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class PrimaryReplicaRouter:
    """Django's router: writes and migrations to the primary, reads where `read_alias` says."""

    def db_for_read(self, _model: type, **_hints: Any) -> str:
        return read_alias()

    def db_for_write(self, _model: type, **_hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, _obj1: Any, _obj2: Any, **_hints: Any) -> bool:
        return True  # one database, copied: an object read from the replica is the primary's object

    def allow_migrate(self, db: str, _app_label: str, **_hints: Any) -> bool:
        return db == PRIMARY


class PinAfterWriteMiddleware:
    """A non-safe request pins its client to the primary for REPLICA_PIN_SECONDS (a cookie, so it holds
    across processes and for every later request of the browser or API client that keeps cookies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        writes = request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
        token = _pinned.set(writes or PIN_COOKIE in request.COOKIES)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if writes and configured():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


def status() -> tuple[str, float | None]:
    """The replica's state for /healthz: "not configured", "ok" or "down: <error>", and its replay lag in
    seconds (0 when it has replayed everything it received; None when unknown)."""
    if not configured():
        return "not configured", None
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
            )
            (lag,) = cursor.fetchone()
    except Exception as error:
        connections[REPLICA].close()
        _failed_at[REPLICA] = time.monotonic()
        return f"down: {type(error).__name__}", None
    _failed_at.pop(REPLICA, None)
    return "ok", float(lag) if lag is not None else None
