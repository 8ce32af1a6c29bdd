"""Bearer tokens for API clients; session authentication (with CSRF) for browser users."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from registry.clients import InvalidToken, verify_token


class ApiClientAuthentication(BaseAuthentication):
    """`Authorization: Bearer wp_<prefix>_<secret>`; authenticates as the client's service account."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send exactly one token: 'Authorization: Bearer <token>'.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The bearer token is malformed.") from None
        try:
            client = verify_token(token)
        except InvalidToken as error:
            raise exceptions.AuthenticationFailed(error.message, code=error.code) from None
        return client.user, client

    def authenticate_header(self, request) -> str:
        # Present, so that a missing or bad credential answers 401 rather than 403.
        return 'Bearer realm="api"'


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiClientAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "wp_<prefix>_<secret>",
            "description": "An API client's token, created by an administrator and shown once.",
        }
