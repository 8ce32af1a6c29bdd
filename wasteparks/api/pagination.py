"""Keyset ("cursor") pagination: the exact change feed of incremental sync, and sorted listings.

Sync order (no `?ordering=`): a run reads the rows written between two database snapshots, in
(sync_version, id) order (wasteparks/sync.py). The first page of a run takes the snapshot `until`; every
`next` URL carries it with the run's start `since` and the last row delivered; the answer's `resume` URL
starts the next run at `until`. So a row committed at any moment is delivered by the run whose `until`
first sees it, a row changed again while a run pages moves to the next run, and nothing is held back
because some other transaction is open. Resuming from the last saved `next` or `resume` URL is safe
wherever a client was interrupted: at worst a page comes twice, and rows are upserted by id.

With `?ordering=<column>` (for people) pages are cut by (column, id) > (last seen), never by offset.
`next` is an absolute URL with an opaque cursor; it is null on the last page. See docs/api.md.
"""

import base64
import binascii
import json

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from wasteparks import db_router
from wasteparks.parsing import ascii_whole_number
from wasteparks.sync import Snapshot, changed_between

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
CHANGES = "changes"  # the sync order's cursor tag


def _has_versions(model) -> bool:
    try:
        model._meta.get_field("sync_version")
    except FieldDoesNotExist:
        return False
    return True


def _encode(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise exceptions.ValidationError({"cursor": [_("The cursor is malformed; use the `next` URL as given.")]})
    if not isinstance(values, list) or not values:
        raise exceptions.ValidationError({"cursor": [_("The cursor is malformed; use the `next` URL as given.")]})
    return values


def _text(snapshot: Snapshot | None) -> str | None:
    return None if snapshot is None else str(snapshot)


def _plain(value):
    """A column value as JSON keeps it exactly (full microseconds; DjangoJSONEncoder would cut them)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class SyncPagination(BasePagination):
    """Keyset pagination over the view's ordering: (updated_at, id) by default, or (?ordering=, id)."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"

    def __init__(self):
        self.next_url = None
        self.resume_url = None

    # --- request parameters -----------------------------------------------------------------------

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return DEFAULT_PAGE_SIZE
        size = ascii_whole_number(raw)
        if size is None or size < 1:
            raise exceptions.ValidationError(
                {"page_size": [_("page_size must be a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}]}
            )
        if size > MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {"page_size": [_("page_size may be at most %(max)d.") % {"max": MAX_PAGE_SIZE}]}
            )
        return size

    def get_ordering(self, request, view) -> tuple[str, bool]:
        """(column, descending). The column is the view's sync order unless ?ordering= names another."""
        default = getattr(view, "sync_ordering", ("updated_at", "id"))[0]
        raw = request.query_params.get(self.ordering_query_param)
        if raw is None:
            return default, False
        column, descending = raw.removeprefix("-"), raw.startswith("-")
        allowed = tuple(getattr(view, "ordering_fields", ()) or ())
        if column not in allowed:
            choices = ", ".join(allowed) or _("none")
            raise exceptions.ValidationError(
                {
                    "ordering": [
                        _("Cannot order by %(name)r; choose one of: %(choices)s.") % {"name": raw, "choices": choices}
                    ]
                }
            )
        return column, descending

    # --- the page ---------------------------------------------------------------------------------

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        column, descending = self.get_ordering(request, view)
        self.next_url = self.resume_url = None
        # The database the page's rows were read from: whatever a view reads about them next must be read
        # there too (a replica may not have replayed what the primary's page holds).
        self.db = queryset.db
        raw_cursor = request.query_params.get(self.cursor_query_param)
        if request.query_params.get(self.ordering_query_param) is None and _has_versions(queryset.model):
            return self._changes(queryset, size, raw_cursor)

        tag = f"-{column}" if descending else column
        pk = "pk"
        if raw_cursor:
            cursor_tag, value, last_pk = self._decoded(raw_cursor, length=3)
            if cursor_tag != tag:
                raise exceptions.ValidationError(
                    {"cursor": [_("This cursor belongs to another ordering; start again without it.")]}
                )
            value, last_pk = self._checked(queryset.model, column, value, last_pk)
            if column == pk or column == "id":
                after = Q(pk__lt=last_pk) if descending else Q(pk__gt=last_pk)
            elif descending:
                # Written as a range plus a tie-break so PostgreSQL walks the (column, id) index.
                after = Q(**{f"{column}__lte": value}) & (Q(**{f"{column}__lt": value}) | Q(pk__lt=last_pk))
            else:
                after = Q(**{f"{column}__gte": value}) & (Q(**{f"{column}__gt": value}) | Q(pk__gt=last_pk))
            queryset = queryset.filter(after)

        order = [f"-{column}", "-pk"] if descending else [column, "pk"]
        if column in ("id", "pk"):
            order = order[1:]
        rows = list(queryset.order_by(*order)[: size + 1])
        if len(rows) > size:
            rows = rows[:size]
            self.next_url = self._url([tag, _plain(getattr(rows[-1], column)), rows[-1].pk])
        return rows

    def _changes(self, queryset, size: int, raw_cursor: str | None) -> list:
        """One page of a sync run: rows written after `since` and visible in `until`, after the last one."""
        since = until = None
        after = None
        if raw_cursor:
            tag, since_text, until_text, last_version, last_pk = self._decoded(raw_cursor, length=5)
            if tag != CHANGES:
                raise exceptions.ValidationError(
                    {"cursor": [_("This cursor belongs to another ordering; start again without it.")]}
                )
            since, until = self._snapshot(since_text), self._snapshot(until_text)
            if since_text is None and until_text is None or (last_pk is None) != (last_version is None):
                self._malformed()
            if last_pk is not None:
                if until is None or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in (last_pk, last_version)
                ):
                    self._malformed()
                after = (last_version, last_pk)
        if until is None:
            until = Snapshot.current(queryset.db)
        elif queryset.db != db_router.PRIMARY and not Snapshot.current(queryset.db).covers(until):
            # A replica that has not replayed every row `until` sees (the run began on the primary while
            # the replica was away) would skip them: this page is read from the primary instead.
            queryset = queryset.using(db_router.PRIMARY)
            self.db = db_router.PRIMARY
        queryset = queryset.filter(changed_between(since, until))
        if after is not None:
            version, last_pk = after
            queryset = queryset.filter(Q(sync_version__gte=version) & (Q(sync_version__gt=version) | Q(pk__gt=last_pk)))
        rows = list(queryset.order_by("sync_version", "pk")[: size + 1])
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            self.next_url = self._url([CHANGES, _text(since), str(until), last.sync_version, last.pk])
        self.resume_url = self._url([CHANGES, str(until), None, None, None], resume=True)
        return rows

    def _url(self, values: list, resume: bool = False) -> str:
        url = self.request.build_absolute_uri()
        if resume:  # a new run asks for everything changed since: no filter of this run's own position
            url = remove_query_param(url, "updated_after")
        return replace_query_param(url, self.cursor_query_param, _encode(values))

    def _decoded(self, raw: str, *, length: int) -> list:
        values = _decode(raw)
        if len(values) == length:
            return values
        if len(values) in (3, 5):  # the other kind of cursor: of the sync order, or of ?ordering=
            raise exceptions.ValidationError(
                {"cursor": [_("This cursor belongs to another ordering; start again without it.")]}
            )
        self._malformed()
        return values  # unreachable: _malformed raises

    def _snapshot(self, text) -> Snapshot | None:
        if text is None:
            return None
        if not isinstance(text, str) or len(text) > 20_000:
            self._malformed()
        try:
            return Snapshot.parse(text)
        except ValueError:
            self._malformed()
            raise  # unreachable: _malformed raises

    @staticmethod
    def _malformed():
        raise exceptions.ValidationError({"cursor": [_("The cursor is malformed; use the `next` URL as given.")]})

    @staticmethod
    def _checked(model, column: str, value, last_pk):
        """The cursor's values as the columns' Python types; a tampered cursor is a 400, not a database error."""
        try:
            last_pk = model._meta.pk.to_python(last_pk)
            if column not in ("id", "pk"):
                value = model._meta.get_field(column).to_python(value)
        except (DjangoValidationError, FieldDoesNotExist, TypeError, ValueError):
            last_pk = None
        if last_pk is None or value is None:
            raise exceptions.ValidationError({"cursor": [_("The cursor is malformed; use the `next` URL as given.")]})
        return value, last_pk

    def get_paginated_response(self, data):
        return Response({"next": self.next_url, "resume": self.resume_url, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "resume", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page of this run, or null on its last page. Follow it as given.",
                },
                "resume": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "Where the next sync run starts: every row written after this run's start. "
                    "Save it with the page's rows; null with `ordering`.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque position from a previous page's `next` or `resume` URL.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            },
        ]
        allowed = tuple(getattr(view, "ordering_fields", ()) or ())
        if allowed:
            parameters.append(
                {
                    "name": self.ordering_query_param,
                    "in": "query",
                    "required": False,
                    "description": "Order by one column (prefix - for descending) instead of the sync order, "
                    "for people. Incremental sync must use the default order and its `next`/`resume` URLs.",
                    "schema": {"type": "string", "enum": [*allowed, *(f"-{name}" for name in allowed)]},
                }
            )
        return parameters


__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "SyncPagination"]
