"""Who may call what, before any object is looked at. Object rights live in services (NotPermitted)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from registry.tenancy import scope_of


class WritesNeedWriteScope(BasePermission):
    """A read-only scope (the provincial platform's read:all client) may never write."""

    message = "This client may only read."
    code = "read_only_client"

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or not scope_of(request.user).read_only
