"""Rate limits per API client and per anonymous IP: 429 with Retry-After, in the error shape."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from .conftest import Caller, bearer, error_of

PARKS = "/api/v1/parks/"


@pytest.fixture
def tight_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"client": "3/minute", "anon": "2/minute"})


def test_a_client_over_its_rate_gets_429_with_retry_after(provincial_platform, tight_rates):
    assert [provincial_platform.get(PARKS).status_code for _ in range(3)] == [200, 200, 200]
    response = provincial_platform.get(PARKS)
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_each_client_has_its_own_bucket(provincial_platform, erp_x, tight_rates):
    for _ in range(3):
        provincial_platform.get(PARKS)
    assert provincial_platform.get(PARKS).status_code == 429
    assert erp_x.get(PARKS).status_code == 200


def test_anonymous_callers_are_limited_by_ip_even_when_guessing_tokens(catalogue, tight_rates):
    guesser = bearer("wp_deadbeef_guess")
    assert [guesser.get(PARKS).status_code for _ in range(2)] == [401, 401]
    response = guesser.get(PARKS)
    assert response.status_code == 429 and response["Retry-After"]
    other_ip = Caller(REMOTE_ADDR="10.0.0.9")
    assert other_ip.get(PARKS).status_code == 401


def test_forwarded_for_is_not_trusted_without_a_configured_proxy(catalogue, tight_rates):
    caller = Caller()
    for n in range(2):
        caller.get(PARKS, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert caller.get(PARKS, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
