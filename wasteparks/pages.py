"""Page plumbing shared by the apps' views: how a refused action is shown on the page it came from."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from .errors import DomainError


def refused(
    request: HttpRequest, error: DomainError, render_page: Callable[..., HttpResponse], **overrides
) -> HttpResponse:
    """Show why a service refused, on the page the action was taken from, with the error's status
    (403, 409 or 400); nothing was saved. `render_page(status=..., **overrides)` renders that page."""
    messages.error(request, error.message)
    return render_page(status=error.http_status, **overrides)
