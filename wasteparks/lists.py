"""What every list page does: order by a whitelisted `?sort=`, page, and export the filtered rows."""

import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from functools import cached_property

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.db.models.expressions import Col
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .exports import csv_response, xlsx_response
from .parsing import ascii_whole_number

PAGE_SIZE = 50
# A list counts its rows only as far as COUNTED_PAGES pages beyond the page asked for.
COUNTED_PAGES = 20
# Page numbers beyond this are treated as this (a page number is never turned into an absurd LIMIT).
MAX_PAGE = 100_000
# How long a count that reached its horizon is remembered (seconds).
HORIZON_REACHED_SECONDS = 60


def sort_by_request(
    queryset: QuerySet, request: HttpRequest, options: dict[str, list[str]], default: str, then: tuple = ()
) -> tuple[QuerySet, str]:
    """Order by the `sort` parameter if it names a known column ("-" for descending), else `default`.

    Returns the ordered queryset and the sort in force. Rows tie-break on `then`, else on the primary key
    in the same direction, so pages never overlap.
    """
    sort = request.GET.get("sort", default)
    key = sort.removeprefix("-")
    if key not in options:
        sort, key = default, default.removeprefix("-")
    descending = sort.startswith("-")
    ordering = [_ordered(queryset, name, descending) for name in options[key]]
    tiebreak = then or ("-pk" if descending else "pk",)
    return queryset.order_by(*ordering, *tiebreak), sort


class BoundedPaginator(Paginator):
    """A paginator that counts rows up to a horizon instead of all of them.

    Counting every matching row costs as much as reading them: a park officer's 52,000 manifests took
    about 100 ms a view to count, against 10 ms for the page itself (bench/RESULTS.md, B5). The count
    stops at `COUNTED_PAGES` pages beyond the page asked for; past that the list says "more than N", and
    going on to a later page moves the horizon with it, so every row stays reachable.

    A count that reached the horizon ("more than N") is remembered for HORIZON_REACHED_SECONDS for the
    same query: a list that long says the same thing after a few more rows, and counting it again was a
    third of the busiest list's database time. A shorter list is counted on every view, so a clerk's
    list shows the manifest they just wrote in its count at once.
    """

    def __init__(self, object_list, per_page: int, *, asked_page: int = 1, then: Callable[[list], None] | None = None):
        super().__init__(object_list, per_page)
        self.horizon = (min(max(asked_page, 1), MAX_PAGE) + COUNTED_PAGES) * per_page
        self.then = then

    def page(self, number) -> Page:
        page = super().page(number)
        if self.then is not None:
            # The page's rows read at once, so that `then` completes them in one query for the whole page.
            page.object_list = list(page.object_list)
            self.then(page.object_list)
        return page

    @cached_property
    def counted(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet):
            # Without ORDER BY the database may count from whichever index suits the filter best.
            bounded = rows.order_by()[: self.horizon + 1]
            try:
                sql, params = bounded.query.sql_with_params()
            except EmptyResultSet:  # a filter that can match nothing (an officer of a park with no enterprise)
                return 0
            key = "list-horizon:" + hashlib.sha256(f"{rows.db}\n{sql}\n{params!r}".encode()).hexdigest()
            if cache.get(key):
                return self.horizon + 1
            counted = bounded.count()
            if counted > self.horizon:
                cache.set(key, True, HORIZON_REACHED_SECONDS)
            return counted
        return len(rows)

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.horizon)

    @property
    def more(self) -> bool:
        """Whether rows exist beyond the counted ones."""
        return self.counted > self.horizon


def _ordered(queryset: QuerySet, path: str, descending: bool):
    """Order by `path`, empty values last. NULLS LAST is only written where a value can be null: on a
    column that cannot, it would stop PostgreSQL from reading the rows in order from an index."""
    column = F(path)
    nullable = _nullable(queryset, path)
    if descending:
        return column.desc(nulls_last=True) if nullable else column.desc()
    return column.asc(nulls_last=True) if nullable else column.asc()


def _nullable(queryset: QuerySet, path: str) -> bool:
    """Whether `path` can be null: a field path if any field on it can, an alias of a column if the column
    can; any other annotation may be."""
    annotation = queryset.query.annotations.get(path)
    if annotation is not None:
        return not isinstance(annotation, Col) or annotation.target.null
    model, nullable = queryset.model, False
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return True
        nullable = nullable or field.null
        if field.is_relation:
            model = field.related_model
    return nullable


def page_of(request: HttpRequest, rows, size: int | None = None, *, then: Callable[[list], None] | None = None) -> Page:
    """The page `?page=` asks for (the first if it is not a number, the last counted if beyond them).
    `then(rows)`, if given, completes the page's rows once they are read (one query for the whole page)."""
    asked = ascii_whole_number(request.GET.get("page", "")) or 1
    paginator = BoundedPaginator(rows, size or PAGE_SIZE, asked_page=asked, then=then)
    return paginator.get_page(min(asked, MAX_PAGE))


# The rows the export of this request reads, as `lazily()` was given them: `export_if_asked()` counts
# them in SQL to decide between an export in the request and one built in the background. A context
# variable, so that the dozen list views keep their one-line export (`for m in lazily(queryset)`).
_export_source: ContextVar = ContextVar("export_source", default=None)


def lazily(rows):
    """Rows for export_if_asked, read only when an export consumes them. A generator expression evaluates
    its first iterable at once, so `(... for m in queryset)` would fetch the whole filtered list on every
    page view (bench/b5_pages.py found it); `(... for m in lazily(queryset))` does not. Also tells the
    next `export_if_asked()` of this request which rows it exports, so it can count them first."""
    _export_source.set(rows)
    return _read_later(rows)


def _read_later(rows):
    yield from rows


def export_if_asked(request: HttpRequest, name: str, title: str, header: list, rows) -> HttpResponse | None:
    """The filtered rows as CSV or Excel when `?export=csv|xlsx`, else None (render the page).

    More rows than EXPORT_INLINE_MAX_ROWS are not exported inside the request (a province-wide list
    would outlast it): the export is queued to be built in the background, as this user sees this list,
    and the answer is its progress page (wasteparks/background_exports.py).
    """
    source = _export_source.get()
    _export_source.set(None)
    fmt = request.GET.get("export")
    if fmt not in ("csv", "xlsx"):
        return None
    from . import background_exports

    building = background_exports.building(request)
    if building is not None:
        rows = building.counting(rows)
    elif isinstance(source, QuerySet):
        queued = background_exports.queue_if_large(request, source=source, title=str(title))
        if queued is not None:
            return queued
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return csv_response(f"{name}-{stamp}.csv", header, rows)
    if fmt == "xlsx":
        return xlsx_response(f"{name}-{stamp}.xlsx", title, header, rows)
    return None
