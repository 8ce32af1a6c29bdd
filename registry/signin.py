"""Sign-in security (GB/T 22239-2019, level 3): the second factor, the idle-session limit, the login audit.

- Second factor: a TOTP authenticator app, with single-use recovery codes (django-otp). Officers,
  enterprise administrators and system administrators must use one; anyone else may turn it on, and once
  on it is asked for at every sign-in. Only a user who may not turn it off (`second_factor_required`)
  is sent to set one up; the others are asked for it only once they have one. `SecondFactorMiddleware`
  keeps a session that has passed only the password away from every page but the sign-in pages (an API
  call made with such a session gets a 403 in the API's error shape). Passing the second factor stores
  the device's id in the session (django_otp.login), so a verified session costs no query.
- Idle sessions end after SESSION_IDLE_MINUTES without a request; the last request's time is written to
  the session at most once a minute, so ordinary requests do not write.
- Every sign-in attempt, second-factor attempt and sign-out is a `wasteparks.models.LoginEvent`.
"""

from collections.abc import Callable
from typing import cast
from urllib.parse import urlencode

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as django_otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from wasteparks.api.errors import json_error
from wasteparks.errors import RuleViolation, TransitionNotAllowed
from wasteparks.models import LoginEvent, LoginStep

from .models import EnterpriseRole, User
from .tenancy import scope_of

LAST_SEEN_SESSION_KEY = "last_seen"
# Written to the session no more often than this (seconds): the idle limit is counted in minutes.
LAST_SEEN_RESOLUTION = 60
# Reachable with only a password: signing in and out, the second factor itself (and the page that says
# whether it is on), a forgotten password, signing up, accepting an invitation, the language switch and
# health. Changing the password is not: it needs the whole sign-in.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/two-factor/",
    "/accounts/security/",
    "/accounts/password_reset/",
    "/accounts/reset/",
    "/accounts/signup/",
    "/accounts/invitations/",
    "/i18n/",
    "/static/",
    "/healthz",
)


def second_factor_required(user) -> bool:
    """Whether `user` must sign in with a second factor: officers and administrators (of the system or of
    an enterprise). The one place that says so, for the middleware, the pages and the tests alike."""
    if user.is_staff or user.is_superuser:
        return True
    scope = scope_of(user)
    return scope.is_officer or any(EnterpriseRole.ADMIN in roles for roles in scope.enterprise_roles.values())


def has_second_factor(user) -> bool:
    return any(devices_for_user(user, confirmed=True))


def is_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The base layout leaves out what only a fully signed-in user may open (the inbox badge polls).
        pending = (
            SESSION_KEY in request.session
            and not is_verified(request)
            and request.user.is_authenticated
            and (second_factor_required(request.user) or has_second_factor(request.user))
        )
        request.second_factor_pending = pending  # type: ignore[attr-defined]
        if pending and not request.path_info.startswith(OPEN_PREFIXES):
            if request.path_info.startswith("/api/"):
                return json_error(403, "second_factor_required", _("Complete the second sign-in step first."))
            if request.headers.get("HX-Request"):
                # A fragment a page polls for: refused, not redirected into the page it is part of.
                return HttpResponse(status=403)
            return redirect(f"{reverse('second_factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session:
            now = int(timezone.now().timestamp())
            seen = request.session.get(LAST_SEEN_SESSION_KEY)
            if seen is not None and now - seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.SESSION_IDLE_MINUTES},
                )
            elif seen is None or now - seen >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


# --- Enrolling and using the second factor ----------------------------------------------------------

RECOVERY_CODES = 10


def enrollment_device(user: User) -> TOTPDevice:
    """The authenticator being set up: kept unconfirmed until a first code from it is entered, so
    reloading the page shows the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, defaults={"name": "recovery"})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def confirm_enrollment(*, user: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """The user proves the authenticator works; it becomes their second factor, the other authenticators
    are dropped, and a fresh set of single-use recovery codes is returned (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        raise TransitionNotAllowed(_("Start the set-up again."), code="no_enrollment")
    if not device.verify_token(token):
        raise RuleViolation(
            _("That code is not right. Check the time on your phone and enter the current code."),
            code="wrong_code",
            fields={"token": [_("Wrong code.")]},
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, _new_recovery_codes(user)


@transaction.atomic
def verify_second_factor(*, request: HttpRequest, token: str):
    """Check a code from the authenticator or a recovery code (used once); on success the session is
    verified. Every attempt is in the login audit."""
    user = cast(User, request.user)  # a view behind login_required asks
    for device in devices_for_user(user, confirmed=True, for_verify=True):
        if device.verify_is_allowed()[0] and device.verify_token(token):
            django_otp_login(request, device)
            # A new session key for the stronger session, as a sign-in gets one.
            request.session.cycle_key()
            record_login_event(request=request, step=LoginStep.SECOND_FACTOR, succeeded=True, user=user)
            return device
    record_login_event(request=request, step=LoginStep.SECOND_FACTOR, succeeded=False, user=user)
    return None


@transaction.atomic
def regenerate_recovery_codes(*, user: User) -> list[str]:
    if not has_second_factor(user):
        raise TransitionNotAllowed(_("Set up an authenticator first."), code="no_second_factor")
    return _new_recovery_codes(user)


@transaction.atomic
def remove_second_factor(*, user: User) -> None:
    """Turn the second factor off: only for those who are not required to use it."""
    if second_factor_required(user):
        raise TransitionNotAllowed(
            _("Officers and administrators must sign in with a second factor."), code="second_factor_required"
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# --- The login audit ------------------------------------------------------------------------------


def record_login_event(
    *, request: HttpRequest | None, step: str, succeeded: bool, user: User | None = None, username: str = ""
) -> LoginEvent:
    address = None
    agent = ""
    if request is not None:
        address = get_client_ip_address(request) or None
        agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    return LoginEvent.objects.create(
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        step=step,
        succeeded=succeeded,
        ip_address=address,
        user_agent=agent,
    )


@receiver(user_logged_in, dispatch_uid="registry.signin.logged_in")
def _logged_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN_SESSION_KEY] = int(timezone.now().timestamp())
    record_login_event(request=request, step=LoginStep.PASSWORD, succeeded=True, user=user)


@receiver(user_login_failed, dispatch_uid="registry.signin.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first() if username else None
    record_login_event(request=request, step=LoginStep.PASSWORD, succeeded=False, user=user, username=username)


@receiver(user_logged_out, dispatch_uid="registry.signin.logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_login_event(request=request, step=LoginStep.LOGOUT, succeeded=True, user=user)
