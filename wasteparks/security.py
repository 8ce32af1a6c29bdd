"""Security headers that Django 5.2 does not set itself."""

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from .api.errors import error_body

# Pages load scripts, styles, fonts and images from this host only; chart data travels as JSON in
# <script type="application/json">, which is never executed. Styles allow inline attributes because
# ECharts and htmx set them.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI's page starts itself with an inline script; it is the integrators' documentation only.
DOCS_POLICY = PAGE_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/api/v1/docs/", "/api/v1/redoc/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            policy = DOCS_POLICY if request.path.startswith(DOCS_PATHS) else PAGE_POLICY
            response["Content-Security-Policy"] = policy
        return response


class RefuseNulMiddleware:
    """A NUL character in a query parameter or a form field is refused with 400 before any view runs.

    PostgreSQL cannot hold NUL in text, so a search for `?q=%00` would reach the database and fail there
    (a 500). No parameter of the platform has a use for it: refusing it here covers every page, list,
    filter and export at once. JSON bodies are checked by the API's parser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET) or (request.method == "POST" and _has_nul_in_form(request)):
            return _nul_refused(request)
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


def _has_nul_in_form(request) -> bool:
    # The API reads only JSON (its parser refuses NUL) and fingerprints the raw body for idempotency:
    # parsing a form body here would consume the stream it needs.
    if request.path.startswith("/api/"):
        return False
    if (request.content_type or "") not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return False
    return _has_nul(request.POST)


def _nul_refused(request):
    message = _("The request contains a NUL character, which no field accepts.")
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("invalid", message), status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
