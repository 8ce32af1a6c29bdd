"""Domain errors that services raise and the edges (forms, API) translate.

Each carries a stable machine `code` for the API's error shape, a human message, and optional field
messages. Views never invent their own: they map these to a form error or to the common JSON shape.
"""


class DomainError(Exception):
    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.fields = fields or {}


class NotPermitted(DomainError):
    """The actor holds no role that allows this action on this object."""

    code = "not_permitted"
    http_status = 403


class TransitionNotAllowed(DomainError):
    """The object's current status does not allow this step."""

    code = "transition_not_allowed"
    http_status = 409


class RuleViolation(DomainError):
    """A regulatory rule refuses the action; the message names the rule and the numbers."""

    code = "rule_violation"
    http_status = 400
