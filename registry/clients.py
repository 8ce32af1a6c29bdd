"""API clients: machine credentials for the provincial platform and enterprises' own software.

A token looks like ``wp_<prefix>_<secret>``. The prefix (8 hex digits) is stored in clear to find the
client; only the SHA-256 of the whole token is stored, and it is compared in constant time. The token
itself exists only in the answer to `create_api_client`. A 256-bit random secret needs no salt or slow
hash: it cannot be guessed from its hash, and a plain hash survives a SECRET_KEY rotation.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wasteparks.errors import DomainError

from .models import ApiClient, Enterprise, User

logger = logging.getLogger("wasteparks.api")

TOKEN_MARK = "wp"
DEFAULT_LIFETIME = timedelta(days=365)
# Recording every request would turn each read into a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class InvalidToken(DomainError):
    """The token is malformed, unknown, revoked or expired (the code says which)."""

    code = "token_invalid"
    http_status = 401


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"{TOKEN_MARK}_{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def create_api_client(
    *,
    name: str,
    scope: str,
    enterprise: Enterprise | None = None,
    expires_at: datetime | None = None,
    created_by: User | None = None,
) -> tuple[ApiClient, str]:
    """Create a client and the service account it acts as; return it with its token (shown only now).

    Raises django.core.exceptions.ValidationError (nothing written) when the name is taken, the scope
    unknown, or the enterprise does not match the scope.
    """
    prefix, token = _new_token()
    while ApiClient.objects.filter(token_prefix=prefix).exists():
        prefix, token = _new_token()
    user = User(username=f"api-{prefix}", full_name=name[:100], is_service_account=True)
    user.set_unusable_password()
    user.save()
    client = ApiClient(
        name=name,
        user=user,
        created_by=created_by,
        scope=scope,
        enterprise=enterprise,
        token_prefix=prefix,
        token_hash=hash_token(token),
        expires_at=expires_at or timezone.now() + DEFAULT_LIFETIME,
    )
    client.full_clean()
    client.save()
    logger.info(
        "API client %s (%s) created by %s", client.name, client.scope, created_by.username if created_by else "system"
    )
    return client, token


@transaction.atomic
def revoke_api_client(*, client: ApiClient, revoked_by: User | None = None) -> ApiClient:
    """Revoke at once and for good; the token is refused from the next request on."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        logger.info("API client %s revoked by %s", client.name, revoked_by.username if revoked_by else "system")
    return client


def _unusable_hash() -> str:
    return hash_token(secrets.token_urlsafe(32))


def verify_token(token: str, *, now: datetime | None = None) -> ApiClient:
    """The client a token belongs to, or InvalidToken. Records the use at most once a minute."""
    now = now or timezone.now()
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_MARK or not parts[1] or not parts[2]:
        raise InvalidToken(_("The bearer token is malformed."))
    client = ApiClient.objects.select_related("user").filter(token_prefix=parts[1]).first()
    # Compare even when the prefix is unknown, so the answer's timing does not tell which prefixes exist.
    expected = client.token_hash if client else _unusable_hash()
    if not hmac.compare_digest(hash_token(token), expected) or client is None:
        raise InvalidToken(_("The bearer token is not valid."))
    if client.revoked_at is not None:
        raise InvalidToken(_("This API client has been revoked."), code="token_revoked")
    if client.expires_at <= now:
        raise InvalidToken(_("This API client's token has expired."), code="token_expired")
    if not client.user.is_active:
        raise InvalidToken(_("This API client's account is disabled."), code="token_revoked")
    if client.last_used_at is None or client.last_used_at < now - LAST_USED_PRECISION:
        # update(): no save(), so last use neither bumps updated_at (the sync order) nor races a writer.
        ApiClient.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION), pk=client.pk
        ).update(last_used_at=now)
        client.last_used_at = now
    return client
