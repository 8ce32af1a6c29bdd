"""Keyset ("cursor") pagination for incremental sync.

Rows come in (updated_at, id) order. A page is `WHERE (updated_at, id) > (last seen)`, never an
offset, so a row updated while a client pages moves behind the cursor and is delivered again on a
later page, and none is skipped. `next` is an absolute URL with an opaque cursor; it is null on the
last page.

Rows committed late: updated_at is set when a row is saved, but the row becomes visible only when its
transaction commits. A reader could pass that updated_at before the commit and miss the row for good.
So a sync page never includes rows at or after the *horizon*: the start of the oldest transaction
still writing in this database, less a margin for clocks and for the moment between computing
updated_at and writing it. With no transaction in flight nothing is held back. See docs/api.md.
"""

import base64
import binascii
import json
from datetime import datetime, timedelta

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, router
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from wasteparks.parsing import ascii_whole_number

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# A write transaction running when a page is read holds back rows updated from its start less this.
HORIZON_MARGIN = timedelta(seconds=2)

_OLDEST_WRITER_SQL = """
    SELECT min(xact_start) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND backend_type = 'client backend' AND backend_xid IS NOT NULL
"""


def sync_horizon(model) -> datetime | None:
    """Rows with updated_at at or after this may still be joined by rows committing later."""
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        return None  # SQLite has one writer at a time: a committed row is never overtaken.
    with connection.cursor() as cursor:
        cursor.execute(_OLDEST_WRITER_SQL)
        (oldest,) = cursor.fetchone()
    return oldest - HORIZON_MARGIN if oldest is not None else None


def _encode(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise exceptions.ValidationError({"cursor": [_("The cursor is malformed; use the `next` URL as given.")]})
    if not isinstance(values, list) or len(values) != 3:
        raise exceptions.ValidationError({"cursor": [_("The cursor is malformed; use the `next` URL as given.")]})
    return values


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
        tag = f"-{column}" if descending else column
        pk = "pk"
        if column == "updated_at" and not descending:
            horizon = sync_horizon(queryset.model)
            if horizon is not None:
                queryset = queryset.filter(updated_at__lt=horizon)

        raw_cursor = request.query_params.get(self.cursor_query_param)
        if raw_cursor:
            cursor_tag, value, last_pk = _decode(raw_cursor)
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
        has_more = len(rows) > size
        rows = rows[:size]
        self.next_url = None
        if has_more:
            last = rows[-1]
            cursor = _encode([tag, _plain(getattr(last, column)), last.pk])
            self.next_url = replace_query_param(request.build_absolute_uri(), self.cursor_query_param, cursor)
        return rows

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
        return Response({"next": self.next_url, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last page. Follow it as given.",
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
                "description": "Opaque position from a previous page's `next` URL.",
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
                    "description": "Order by one column (prefix - for descending) instead of the sync order "
                    "(updated_at, id). Incremental sync must use the default order.",
                    "schema": {"type": "string", "enum": [*allowed, *(f"-{name}" for name in allowed)]},
                }
            )
        return parameters


__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "SyncPagination", "sync_horizon"]
