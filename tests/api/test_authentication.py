"""Bearer tokens for API clients, sessions (with CSRF) for browsers, and the 401 answers."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from registry.clients import create_api_client, hash_token, revoke_api_client, verify_token
from registry.models import ApiClient, ApiScope, User

from .conftest import Caller, bearer, error_of, session_of

PARKS = "/api/v1/parks/"


def test_a_token_is_stored_only_as_its_hash(catalogue):
    client, token = create_api_client(name="platform", scope=ApiScope.READ_ALL)
    client.refresh_from_db()
    assert token.startswith(f"wp_{client.token_prefix}_")
    assert client.token_hash == hash_token(token)
    assert token not in {client.token_hash, client.token_prefix}
    assert client.user.is_service_account and not client.user.has_usable_password()
    assert timezone.now() + timedelta(days=364) < client.expires_at < timezone.now() + timedelta(days=366)


def test_a_valid_token_authenticates_as_the_clients_service_account(provincial_platform, park_a):
    response = provincial_platform.get(PARKS)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [park_a.pk]


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer wp_abc", "Bearer wp_deadbeef_wrongsecret", "Bearer garbage", "Bearer a b", "Token x"],
)
def test_a_missing_or_garbage_credential_is_401_with_the_error_shape(catalogue, header):
    caller = Caller()
    if header:
        caller.credentials(HTTP_AUTHORIZATION=header)
    response = caller.get(PARKS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert error_of(response)["code"] in {"not_authenticated", "authentication_failed", "token_invalid"}


def test_a_token_with_a_known_prefix_but_wrong_secret_is_refused(provincial_platform):
    forged = f"wp_{provincial_platform.api_client.token_prefix}_{'A' * 43}"
    response = bearer(forged).get(PARKS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_invalid"


def test_an_expired_token_is_refused(provincial_platform):
    ApiClient.objects.filter(pk=provincial_platform.api_client.pk).update(expires_at=timezone.now())
    response = provincial_platform.get(PARKS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_expired"


def test_a_revoked_token_is_refused_from_the_next_request(provincial_platform):
    assert provincial_platform.get(PARKS).status_code == 200
    revoke_api_client(client=provincial_platform.api_client)
    response = provincial_platform.get(PARKS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_revoked"


def test_last_use_is_recorded_at_most_once_a_minute(provincial_platform, django_assert_num_queries):
    client = provincial_platform.api_client
    first = verify_token(provincial_platform.token)
    assert first.last_used_at is not None
    # Within the minute: one SELECT for the client, no UPDATE.
    with django_assert_num_queries(1):
        verify_token(provincial_platform.token, now=first.last_used_at + timedelta(seconds=30))
    later = first.last_used_at + timedelta(minutes=2)
    verify_token(provincial_platform.token, now=later)
    client.refresh_from_db()
    assert client.last_used_at == later
    assert client.updated_at < later  # last use does not move the client in the sync order


def test_the_management_command_prints_a_working_token(enterprise_x):
    out = StringIO()
    call_command(
        "create_api_client",
        "X ERP",
        scope="enterprise",
        enterprise=enterprise_x.credit_code,
        stdout=out,
        stderr=StringIO(),
    )
    token = out.getvalue().strip()
    client = ApiClient.objects.get(name="X ERP")
    assert client.enterprise == enterprise_x and client.token_hash == hash_token(token)
    assert bearer(token).get(f"/api/v1/enterprises/{enterprise_x.pk}/").status_code == 200


def test_the_management_command_refuses_an_enterprise_client_without_an_enterprise(catalogue):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_client", "bad", scope="enterprise", stdout=StringIO(), stderr=StringIO())
    assert not ApiClient.objects.exists()
    assert not User.objects.filter(is_service_account=True).exists()


def test_a_read_all_client_naming_an_enterprise_is_refused_and_leaves_nothing(enterprise_x):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        create_api_client(name="bad", scope=ApiScope.READ_ALL, enterprise=enterprise_x)
    assert not ApiClient.objects.exists()
    assert not User.objects.filter(is_service_account=True).exists()


def test_a_browser_session_reads_the_api(officer_a, park_a):
    response = session_of(officer_a).get(PARKS)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [park_a.pk]


def test_a_browser_session_must_send_the_csrf_token_to_write(admin_x, enterprise_x):
    caller = session_of(admin_x)
    response = caller.patch(f"/api/v1/enterprises/{enterprise_x.pk}/", {"contact_name": "李娜"})
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
    enterprise_x.refresh_from_db()
    assert enterprise_x.contact_name != "李娜"
