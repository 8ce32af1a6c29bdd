"""API personas: the provincial platform's read:all client and enterprise X's own software."""

import pytest
from rest_framework.test import APIClient

from registry.clients import create_api_client
from registry.models import ApiScope


def error_of(response) -> dict:
    """The error object of an API answer, after checking it has exactly the common shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"], body
    return body["error"]


class Caller(APIClient):
    """An APIClient that sends JSON unless told otherwise."""

    default_format = "json"

    def generic(self, method, path, data="", content_type="application/json", secure=False, **extra):
        return super().generic(method, path, data, content_type, secure=secure, **extra)


def bearer(token: str) -> Caller:
    caller = Caller()
    caller.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return caller


@pytest.fixture
def anonymous():
    return Caller()


@pytest.fixture
def provincial_platform(catalogue):
    client, token = create_api_client(name="Guizhou provincial platform", scope=ApiScope.READ_ALL)
    caller = bearer(token)
    caller.api_client, caller.token = client, token
    return caller


@pytest.fixture
def erp_x(enterprise_x):
    client, token = create_api_client(name="Enterprise X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    caller = bearer(token)
    caller.api_client, caller.token = client, token
    return caller


@pytest.fixture
def erp_y(enterprise_y):
    client, token = create_api_client(name="Enterprise Y ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_y)
    caller = bearer(token)
    caller.api_client, caller.token = client, token
    return caller


def session_of(user, *, csrf: bool = True) -> Caller:
    """A browser session; csrf=False stands for a page that sends the CSRF token correctly."""
    caller = Caller(enforce_csrf_checks=csrf)
    caller.force_login(user)
    return caller
