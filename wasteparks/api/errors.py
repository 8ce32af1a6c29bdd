"""One error shape for the whole API: {"error": {"code": ..., "message": ..., "fields": {...}}}.

`exception_handler` is DRF's EXCEPTION_HANDLER; `handler404`/`handler500` and `api_not_found` keep
HTML error pages away from /api/ too; elsewhere the site's own pages answer (wasteparks/error_pages.py).
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

from wasteparks import error_pages
from wasteparks.errors import DomainError
from wasteparks.outages import RETRY_AFTER_SECONDS, is_outage, outage_json, outage_message, outage_page

logger = logging.getLogger("wasteparks.api")

API_PREFIX = "/api/"

# PostgreSQL SQLSTATEs: a unique or foreign-key clash is a conflict with existing data; the others are
# input the database refused.
_CONFLICT_STATES = {"23505": "conflict", "23503": "conflict", "23P01": "conflict"}
_INVALID_STATES = {"23514": "constraint_violated", "23502": "required"}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is too large."


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used for a different request."


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _flatten(detail) -> dict | list | str:
    """DRF's nested ErrorDetail structures as plain JSON (strings, lists, dicts)."""
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_flatten(item) for item in detail]
    return str(detail)


def _first_problem(fields, path: str = "") -> str:
    """'field: message' for the first field error, so the message alone names the problem."""
    if isinstance(fields, dict):
        for key, value in fields.items():
            label = key if key != "non_field_errors" else ""
            return _first_problem(value, f"{path}.{label}" if path and label else (label or path))
    if isinstance(fields, list) and fields:
        first = fields[0]
        return _first_problem(first, path) if isinstance(first, dict | list) else _join(path, first)
    return _join(path, str(fields))


def _join(path: str, message: str) -> str:
    return f"{path}: {message}" if path else message


def _validation(detail) -> tuple[str, dict]:
    fields = _flatten(detail)
    if not isinstance(fields, dict):
        fields = {"non_field_errors": fields if isinstance(fields, list) else [fields]}
    return _first_problem(fields), fields


def _api_exception(exc: exceptions.APIException) -> tuple[int, str, str, dict]:
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _validation(exc.detail)
        return exc.status_code, "invalid", message, fields
    detail = exc.detail
    if isinstance(detail, dict | list):
        message, fields = _validation(detail)
    else:
        message, fields = str(detail), {}
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return exc.status_code, code, message, fields


def _integrity(exc: IntegrityError) -> tuple[int, str, str, dict]:
    state = getattr(exc.__cause__, "pgcode", None)
    if state in _INVALID_STATES:
        return 400, _INVALID_STATES[state], _("The database refused the values: %(reason)s") % {"reason": exc}, {}
    if state in _CONFLICT_STATES or state is None:
        return 409, "conflict", _("The change conflicts with existing data: %(reason)s") % {"reason": exc}, {}
    return 400, "invalid", str(exc), {}


def describe(exc: Exception) -> tuple[int, str, str, dict, dict]:
    """(status, code, message, fields, headers) for any exception raised while serving the API."""
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        return exc.http_status, exc.code, exc.message, exc.fields, headers
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        return (*_integrity(exc), headers)
    elif is_outage(exc):  # the database or the broker is away: try again shortly (wasteparks/outages.py)
        logger.warning("Outage while serving the API: %r", exc)
        return 503, "service_unavailable", outage_message(), {}, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if isinstance(exc, exceptions.APIException):
        # Not attributes of every APIException: DRF's handle_exception adds auth_header to a 401, and
        # Throttled carries wait.
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait:
            headers["Retry-After"] = str(int(wait) + (wait % 1 > 0))
        return (*_api_exception(exc), headers)
    logger.error("Unexpected error serving the API", exc_info=exc)
    return 500, "server_error", _("An unexpected error occurred; it has been logged."), {}, headers


def exception_handler(exc: Exception, context: dict) -> Response:
    # Writes run in a transaction that ApiViewMixin.dispatch rolls back on any error answer.
    status_code, code, message, fields, headers = describe(exc)
    return Response(error_body(code, message, fields), status=status_code, headers=headers)


def json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """CSRF refusals answer in the error shape under /api/, and with Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("csrf_failed", _("CSRF check failed: %(reason)s") % {"reason": reason}), status=403
        )
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason=reason)


@csrf_exempt
def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """Any path under /api/ that no endpoint serves; says so when only the trailing slash is missing."""
    from django.urls import Resolver404, resolve

    message = _("No endpoint at %(path)s.") % {"path": request.path}
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            message = _("No endpoint at %(path)s; did you mean %(path)s/ (with a trailing slash)?") % {
                "path": request.path
            }
    return json_error(404, "not_found", message)


def handler404(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return json_error(404, "not_found", _("No endpoint at %(path)s.") % {"path": request.path})
    return error_pages.page_not_found(request, exception)


def handler500(request):
    # Called while Django handles the uncaught error, so the error is at hand: an outage is a 503.
    if is_outage(sys.exc_info()[1]):
        return outage_json() if request.path.startswith(API_PREFIX) else outage_page(request)
    if request.path.startswith(API_PREFIX):
        return json_error(500, "server_error", _("An unexpected error occurred; it has been logged."))
    return error_pages.server_error(request)


def handler400(request, exception=None):
    if request.path.startswith(API_PREFIX):
        if isinstance(exception, RequestDataTooBig):
            return json_error(413, "request_too_large", _("The request body is too large."))
        return json_error(400, "bad_request", str(exception) if settings.DEBUG else _("Bad request."))
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return json_error(403, "permission_denied", _("You do not have permission to perform this action."))
    return error_pages.permission_denied(request, exception)
