"""Page plumbing shared by the apps' views: the signed-in request type and how a refused action is shown."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from .errors import DomainError

if TYPE_CHECKING:
    from registry.models import User


class SignedInRequest(HttpRequest):
    """The request of a view behind `login_required`: its user is a signed-in User, never anonymous.

    Only a type for annotations (`def page(request: SignedInRequest)`); Django builds the request."""

    user: "User"


def refused(
    request: HttpRequest, error: DomainError, render_page: Callable[..., HttpResponse], **overrides
) -> HttpResponse:
    """Show why a service refused, on the page the action was taken from, with the error's status
    (403, 409 or 400); nothing was saved. `render_page(status=..., **overrides)` renders that page."""
    messages.error(request, error.message)
    return render_page(status=error.http_status, **overrides)
