"""OpenAPI: every operation documents the error shape, and writes the Idempotency-Key header."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import SAFE_METHODS

from .idempotency import HEADER, KEY_PATTERN, METHODS, REPLAYED_HEADER
from .serializers import ErrorSerializer

_ERRORS = {
    "400": "Bad input: malformed JSON, unknown or invalid fields, bad filter, cursor or page_size.",
    "401": "Missing, malformed, unknown, expired or revoked credential.",
    "403": "Authenticated, but not allowed (a read-only client writing, or no role on the object).",
    "404": "No such object, or not visible to the caller.",
    "405": "Method not allowed on this endpoint.",
    "406": "Only application/json can be returned.",
    "413": "The request body is over the size limit.",
    "415": "The request body must be application/json.",
    "429": "Too many requests; wait for the number of seconds in Retry-After.",
    "500": "Unexpected error; it has been logged.",
}
_WRITE_ERRORS = {
    "409": "The object's state does not allow this (e.g. a transition not allowed), or it conflicts with "
    "existing data.",
    "422": "The Idempotency-Key was already used with a different request.",
}
_BODY_ONLY = {"413", "415"}


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method in METHODS:
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    {"type": "string", "pattern": KEY_PATTERN, "minLength": 1, "maxLength": 255},
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Any unique string of visible ASCII characters (e.g. a UUID), at most 255. "
                    "A retry with the same key and body within 24 h returns the first answer (with header "
                    f"`{REPLAYED_HEADER}: true`) and writes nothing.",
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(_ERRORS)
        if self.method not in SAFE_METHODS:
            errors.update(_WRITE_ERRORS)
        else:
            errors = {code: text for code, text in errors.items() if code not in _BODY_ONLY}
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), code, direction=direction
                )
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "429":
            headers["Retry-After"] = {"schema": {"type": "integer"}, "description": "Seconds to wait."}
        if status_code == "401":
            headers["WWW-Authenticate"] = {"schema": {"type": "string"}, "description": 'Bearer realm="api"'}
        return headers
