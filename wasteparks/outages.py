"""Outages answer 503 with Retry-After, for pages and the API alike.

A database that went away (restarted, failed over, out of connections) or a broker that does not answer
is not the request's fault and not a bug: the client should simply try again shortly. So these errors
answer 503 Service Unavailable with a Retry-After header, in the API's error shape under /api/
(`wasteparks.api.errors.describe`, for errors inside API views) and as a plain page elsewhere
(`wasteparks.api.errors.handler500`, Django's last resort for every other uncaught error, which sees the
error being handled). Nothing was written: a request's transaction dies with its connection.

Deadlocks and serialisation failures are OperationalErrors too; for them as well, "try again" is the
right answer.
"""

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Seconds a client is told to wait: long enough for a database restart or failover to finish.
RETRY_AFTER_SECONDS = 30

OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    BrokerOperationalError,
    RedisConnectionError,
    RedisTimeoutError,
)


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGE_ERRORS)


def outage_message() -> str:
    return _("The service is briefly unavailable; please try again in a moment.")


def outage_page(request: HttpRequest) -> HttpResponse:
    """The plain 503 page: rendered without a request context, which would read the session and the user
    from the very database that is away."""
    html = loader.get_template("503.html").render({"message": outage_message()})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def outage_json() -> JsonResponse:
    from .api.errors import error_body

    response = JsonResponse(error_body("service_unavailable", outage_message()), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
