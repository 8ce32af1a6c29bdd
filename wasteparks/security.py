"""Security headers that Django 5.2 does not set itself."""

from django.conf import settings

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
