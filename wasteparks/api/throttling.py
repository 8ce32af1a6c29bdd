"""Rate limits: per API client (or signed-in user) and per anonymous IP address. Rates live in
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("client", "anon"); 429 answers carry Retry-After."""

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """One bucket per API client: each client acts as its own service account."""

    scope = "client"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousRateThrottle(AnonRateThrottle):
    """Requests without a valid credential, by IP (REST_FRAMEWORK["NUM_PROXIES"] says whom to trust)."""

    scope = "anon"
