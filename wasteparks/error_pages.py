"""The 403, 404 and 500 pages of the site: inside the layout, in the reader's language, with a way on.

`wasteparks.api.errors` hands every path outside /api/ here (the API keeps its JSON error shape). The
language is the one LocaleMiddleware chose for the request, as for any other page.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

logger = logging.getLogger("wasteparks.pages")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A PermissionDenied raised by a page says why in the reader's language ("The dashboard is for park
    # and provincial officers."); anything else gets the page's general wording only.
    reason = str(exception) if isinstance(exception, PermissionDenied) and exception.args else ""
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The layout with the reader's menu when it can be drawn; when drawing it fails too (the error may be
    in what the menu reads), the same page without the request's context."""
    try:
        return render(request, "500.html", status=500)
    except Exception:  # noqa: BLE001 (the last resort must answer whatever broke)
        logger.exception("The 500 page could not be drawn with the request's context")
        return HttpResponse(loader.get_template("500.html").render({}), status=500)
