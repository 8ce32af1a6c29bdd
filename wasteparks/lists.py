"""What every list page does: order by a whitelisted `?sort=`, page, and export the filtered rows."""

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .exports import csv_response, xlsx_response

PAGE_SIZE = 50


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
    ordering = [F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True) for name in options[key]]
    tiebreak = then or ("-pk" if descending else "pk",)
    return queryset.order_by(*ordering, *tiebreak), sort


def page_of(request: HttpRequest, queryset, size: int | None = None) -> Page:
    return Paginator(queryset, size or PAGE_SIZE).get_page(request.GET.get("page"))


def lazily(rows):
    """Rows for export_if_asked, read only when an export consumes them. A generator expression evaluates
    its first iterable at once, so `(... for m in queryset)` would fetch the whole filtered list on every
    page view (bench/b5_pages.py found it); `(... for m in lazily(queryset))` does not."""
    yield from rows


def export_if_asked(request: HttpRequest, name: str, title: str, header: list, rows) -> HttpResponse | None:
    """The filtered rows as CSV or Excel when `?export=csv|xlsx`, else None (render the page)."""
    fmt = request.GET.get("export")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return csv_response(f"{name}-{stamp}.csv", header, rows)
    if fmt == "xlsx":
        return xlsx_response(f"{name}-{stamp}.xlsx", title, header, rows)
    return None
