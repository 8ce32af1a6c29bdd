"""Account pages: sign-up and its confirmation, invitations and members, officers' view of the accounts of
their parks, the login audit, and the second factor. The rules are in registry.accounts and
registry.signin; these views turn forms into service calls and refusals into messages."""

from io import BytesIO

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wasteparks.errors import DomainError
from wasteparks.lists import page_of
from wasteparks.models import LoginEvent
from wasteparks.pages import SignedInRequest

from . import accounts, signin
from .account_forms import InvitationForm, NewAccountForm, ReasonForm, SignUpForm, TokenForm
from .models import Enterprise, EnterpriseMembership, Invitation, User
from .tenancy import scope_of

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


# --- Sign-up --------------------------------------------------------------------------------------


def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("registry:enterprise_apply")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        accounts.sign_up(
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            full_name=data.get("full_name", ""),
            phone=data.get("phone", ""),
            site_url=_site_url(request),
        )
        return render(request, "registration/sign_up_sent.html", {"email": data["email"]})
    return render(request, "registration/sign_up.html", {"form": form}, status=400 if form.errors else 200)


def sign_up_verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = accounts.verify_sign_up(uidb64=uidb64, token=token)
    except DomainError as error:
        return render(request, "registration/link_invalid.html", {"message": error.message}, status=400)
    login(request, user, backend=BACKEND)
    messages.success(request, _("Your e-mail address is confirmed. Now register your enterprise."))
    return redirect("registry:enterprise_apply")


# --- Invitations and members ----------------------------------------------------------------------


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation mail: a signed-in person accepts with one click; someone without an
    account creates one here (or signs in first and comes back)."""
    try:
        invitation = accounts.find_invitation(token)
    except DomainError as error:
        return render(request, "registration/link_invalid.html", {"message": error.message}, status=404)
    form = NewAccountForm(request.POST or None) if not request.user.is_authenticated else None
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                accounts.accept_invitation(token=token, user=request.user)
            elif form is not None and form.is_valid():
                user = accounts.accept_invitation_with_new_account(
                    token=token,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    full_name=form.cleaned_data.get("full_name", ""),
                    phone=form.cleaned_data.get("phone", ""),
                )
                login(request, user, backend=BACKEND)
            else:
                return _invitation_page(request, invitation, form, status=400)
        except DomainError as error:
            messages.error(request, error.message)
            return _invitation_page(request, invitation, form, status=error.http_status)
        messages.success(
            request,
            _("Welcome to %(enterprise)s, as %(role)s.")
            % {"enterprise": invitation.enterprise.name, "role": invitation.get_role_display()},
        )
        return redirect("home")
    return _invitation_page(request, invitation, form)


def _invitation_page(request, invitation: Invitation, form, status: int = 200) -> HttpResponse:
    problem = ""
    try:
        accounts._check_open(invitation)
    except DomainError as error:
        problem = error.message
        status = max(status, error.http_status) if status != 200 else error.http_status
    return render(
        request,
        "registration/invitation_accept.html",
        {"invitation": invitation, "form": form, "problem": problem},
        status=status,
    )


def _administered_enterprise(request: SignedInRequest, pk: int) -> Enterprise:
    """The enterprise whose people the user manages: 404 for one the user may not see, 403 for one it sees
    without administering it."""
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user).select_related("park"), pk=pk)
    if not enterprise.is_administered_by(request.user):
        raise PermissionDenied
    return enterprise


@login_required
def member_list(request: SignedInRequest, pk: int) -> HttpResponse:
    enterprise = _administered_enterprise(request, pk)
    form = InvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation, _token = accounts.invite_member(
                    enterprise=enterprise,
                    actor=request.user,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    days=form.cleaned_data["days"],
                    site_url=_site_url(request),
                )
            except DomainError as error:
                for field, problems in error.fields.items():
                    if field in form.fields:
                        form.add_error(field, problems)
                messages.error(request, error.message)
                status = error.http_status
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
                return redirect("registry:member_list", pk=pk)
        else:
            status = 400
    members = (
        EnterpriseMembership.objects.filter(enterprise=enterprise).select_related("user").order_by("user__username")
    )
    invitations = Invitation.objects.of_enterprise(enterprise).pending().select_related("invited_by")
    return render(
        request,
        "registry/member_list.html",
        {"enterprise": enterprise, "members": members, "invitations": invitations, "form": form},
        status=status,
    )


@login_required
@require_POST
def member_remove(request: SignedInRequest, pk: int, membership_pk: int) -> HttpResponse:
    enterprise = _administered_enterprise(request, pk)
    membership = get_object_or_404(EnterpriseMembership.objects.filter(enterprise=enterprise), pk=membership_pk)
    try:
        accounts.remove_member(membership=membership, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(person)s is no longer a member of this enterprise.") % {"person": membership.user}
        )
    return redirect("registry:member_list", pk=pk)


@login_required
@require_POST
def invitation_revoke(request: SignedInRequest, pk: int, invitation_pk: int) -> HttpResponse:
    enterprise = _administered_enterprise(request, pk)
    invitation = get_object_or_404(Invitation.objects.of_enterprise(enterprise), pk=invitation_pk)
    try:
        accounts.revoke_invitation(invitation=invitation, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("registry:member_list", pk=pk)


# --- Officers: the accounts of their parks' enterprises, the login audit --------------------------


def _officer_accounts(user: User):
    """The people of the enterprises an officer supervises, with their roles there; 403 for non-officers
    (the same answer whatever is asked, so it tells nothing)."""
    if not scope_of(user).is_officer and not scope_of(user).everything:
        raise PermissionDenied
    enterprises = Enterprise.objects.visible_to(user)
    memberships = EnterpriseMembership.objects.filter(enterprise__in=enterprises).select_related("enterprise")
    return accounts.accounts_managed_by(user).prefetch_related(
        Prefetch("enterprise_memberships", queryset=memberships.order_by("enterprise__name"))
    )


def _account(request: SignedInRequest, pk: int) -> User:
    """An account the officer manages; a fellow officer's is found (the service refuses it, 403), anybody
    else's is a 404."""
    found = _officer_accounts(request.user).filter(pk=pk).first()
    found = found or accounts.fellow_officers(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@login_required
def account_list(request: SignedInRequest) -> HttpResponse:
    people = _officer_accounts(request.user)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(full_name__icontains=query)
            | Q(email__icontains=query)
            | Q(enterprise_memberships__enterprise__name__icontains=query)
        )
    page = page_of(request, people.order_by("username", "pk"))
    return render(
        request,
        "registry/account_list.html",
        {"page": page, "query": query, "can_read_audit": _reads_login_audit(request.user)},
    )


@login_required
@require_POST
def account_disable(request: SignedInRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason (at most 500 characters)."))
        return redirect("registry:account_list")
    try:
        accounts.disable_account(account=account, officer=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The account %(person)s is disabled.") % {"person": account})
    return redirect("registry:account_list")


@login_required
@require_POST
def account_enable(request: SignedInRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    try:
        accounts.enable_account(account=account, officer=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The account %(person)s is enabled again.") % {"person": account})
    return redirect("registry:account_list")


def _reads_login_audit(user: User) -> bool:
    """Provincial officers read the login audit (of their province: LoginEvent.objects.visible_to), and
    system administrators; park officers and enterprise staff do not."""
    scope = scope_of(user)
    return bool(scope.province_codes) or (scope.everything and not scope.read_only)


@login_required
def login_audit(request: SignedInRequest) -> HttpResponse:
    """Sign-ins, second-factor steps and sign-outs: provincial officers (and system administrators)."""
    if not _reads_login_audit(request.user):
        raise PermissionDenied
    events = LoginEvent.objects.visible_to(request.user)
    username = request.GET.get("user", "").strip()[:150]
    if username:
        events = events.filter(username__iexact=username)
    outcome = request.GET.get("outcome", "")
    if outcome in ("ok", "failed"):
        events = events.filter(succeeded=outcome == "ok")
    page = page_of(request, events.order_by("-at", "-id"))
    return render(request, "registry/login_audit.html", {"page": page, "username": username, "outcome": outcome})


# --- The second factor ----------------------------------------------------------------------------


@login_required
def second_factor(request: SignedInRequest) -> HttpResponse:
    """Asks for the code (or a recovery code) when the user has an authenticator; otherwise sets one up."""
    target = _next_or(request, "/")
    if not signin.has_second_factor(request.user):
        return _enroll(request, target)
    if signin.is_verified(request):
        return redirect(target)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if signin.verify_second_factor(request=request, token=form.cleaned_data["token"]):
            return redirect(target)
        form.add_error("token", _("That code is not right, or was used already. Try the current one."))
    return render(
        request, "registration/second_factor.html", {"form": form, "next": target}, status=400 if form.errors else 200
    )


def _enroll(request: SignedInRequest, target: str) -> HttpResponse:
    device = signin.enrollment_device(request.user)
    form = TokenForm(request.POST or None)
    form.fields["token"].label = _("Code shown by your authenticator app")
    if request.method == "POST" and form.is_valid():
        try:
            confirmed, codes = signin.confirm_enrollment(user=request.user, token=form.cleaned_data["token"])
        except DomainError as error:
            form.add_error("token", error.message)
        else:
            signin.django_otp_login(request, confirmed)
            request.session.cycle_key()
            signin.record_login_event(
                request=request, step=signin.LoginStep.SECOND_FACTOR, succeeded=True, user=request.user
            )
            return render(request, "registration/recovery_codes.html", {"codes": codes, "next": target})
    buffer = BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "next": target,
            "qr_svg": buffer.getvalue().decode(),
            "secret": _base32(device.bin_key),
            "required": signin.second_factor_required(request.user),
        },
        status=400 if form.errors else 200,
    )


def _base32(key: bytes) -> str:
    from base64 import b32encode

    return b32encode(key).decode().rstrip("=")


@login_required
def account_security(request: SignedInRequest) -> HttpResponse:
    from django_otp.plugins.otp_static.models import StaticToken

    return render(
        request,
        "registration/account_security.html",
        {
            "enrolled": signin.has_second_factor(request.user),
            "required": signin.second_factor_required(request.user),
            "codes_left": StaticToken.objects.filter(device__user=request.user).count(),
        },
    )


@login_required
@require_POST
def recovery_codes(request: SignedInRequest) -> HttpResponse:
    if not signin.is_verified(request):
        return redirect(f"{_reverse('second_factor')}?next={_reverse('account_security')}")
    try:
        codes = signin.regenerate_recovery_codes(user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("account_security")
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": _reverse("account_security")})


@login_required
@require_POST
def second_factor_remove(request: SignedInRequest) -> HttpResponse:
    if not signin.is_verified(request):
        return redirect(f"{_reverse('second_factor')}?next={_reverse('account_security')}")
    try:
        signin.remove_second_factor(user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        request.session.pop(signin.DEVICE_ID_SESSION_KEY, None)
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("account_security")


def _reverse(name: str) -> str:
    from django.urls import reverse

    return reverse(name)
