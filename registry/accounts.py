"""Accounts: signing up, inviting people to an enterprise, removing them, officers disabling accounts.

Who may do what:
- anybody may sign up; the account stays inactive until the link mailed to its address is opened, and
  then leads into the registration of an enterprise (registry.services.apply_for_registration), whose
  applicant becomes its first administrator;
- an enterprise's administrator invites a person by e-mail to one role, for a number of days, and may
  revoke an invitation or remove a member (never the last administrator);
- an officer disables (and re-enables) the accounts of people of the enterprises of the parks it
  supervises; never an officer's or a system administrator's account.

Mails leave through the outbox (wasteparks.outbox), in the transaction that caused them.
"""

import secrets
from datetime import timedelta

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from wasteparks import outbox
from wasteparks.errors import DomainError, NotPermitted, RuleViolation, TransitionNotAllowed

from .models import EnterpriseMembership, EnterpriseRole, Invitation, JurisdictionMembership, User, token_digest
from .models.organisations import Enterprise
from .tasks import send_account_mail
from .tenancy import forget_scope, scope_of

MAX_INVITATION_DAYS = 30


class InvitationNotFound(DomainError):
    code = "invitation_not_found"
    http_status = 404


def _mail(*, to: str, subject: str, body: str) -> None:
    outbox.enqueue(send_account_mail, to=to, subject=subject, body=body)


# --- Signing up -----------------------------------------------------------------------------------


@transaction.atomic
def sign_up(*, username: str, email: str, password: str, full_name: str, phone: str, site_url: str) -> User:
    """Create an inactive account and mail the link that activates it (valid PASSWORD_RESET_TIMEOUT)."""
    user = User(username=username, email=email, full_name=full_name, phone=phone, is_active=False)
    user.set_password(password)
    user.full_clean()
    user.save()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = site_url + reverse(
        "sign_up_verify", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)}
    )
    _mail(
        to=email,
        subject=_("Confirm your e-mail address"),
        body=_(
            "Open this link to confirm your e-mail address and activate your account %(username)s:\n\n%(link)s\n\n"
            "Then register your enterprise. If you did not sign up, ignore this mail."
        )
        % {"username": username, "link": link},
    )
    return user


@transaction.atomic
def verify_sign_up(*, uidb64: str, token: str) -> User:
    """Activate the account the link names; a wrong, used or expired link is refused."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        pk = None
    user = User.objects.select_for_update().filter(pk=pk, is_service_account=False).first() if pk else None
    # The token covers the last login, so it stops working once the account has been used.
    if user is None or user.last_login is not None or not default_token_generator.check_token(user, token):
        raise RuleViolation(
            _("This confirmation link is not valid or has expired. Sign up again, or reset your password."),
            code="verification_link_invalid",
        )
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


# --- Invitations ----------------------------------------------------------------------------------


def _require_admin(actor: User, enterprise: Enterprise) -> None:
    if not enterprise.is_administered_by(actor):
        raise NotPermitted(_("Only an administrator of this enterprise may manage its people."))


@transaction.atomic
def invite_member(
    *, enterprise: Enterprise, actor: User, email: str, role: str, days: int, site_url: str
) -> tuple[Invitation, str]:
    """Invite `email` to `role` on the enterprise for `days` days; returns the invitation and its token
    (shown only in the mailed link). A new invitation to the same address replaces an open one."""
    _require_admin(actor, enterprise)
    if role not in EnterpriseRole.values:
        raise RuleViolation(
            _("There is no role “%(role)s”. Choose one of: %(roles)s.")
            % {"role": role, "roles": ", ".join(str(label) for label in EnterpriseRole.labels)},
            code="unknown_role",
            fields={"role": [_("Unknown role.")]},
        )
    if not 1 <= days <= MAX_INVITATION_DAYS:
        raise RuleViolation(
            _("An invitation is valid for 1 to %(days)s days.") % {"days": MAX_INVITATION_DAYS},
            code="invalid_expiry",
            fields={"days": [_("Out of range.")]},
        )
    email = email.strip().lower()
    if EnterpriseMembership.objects.filter(enterprise=enterprise, user__email__iexact=email).exists():
        raise RuleViolation(
            _("%(email)s is already a member of this enterprise.") % {"email": email},
            code="already_member",
            fields={"email": [_("Already a member.")]},
        )
    now = timezone.now()
    Invitation.objects.of_enterprise(enterprise).pending(now).filter(email__iexact=email).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        enterprise=enterprise,
        email=email,
        role=role,
        token_hash=token_digest(token),
        invited_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    link = site_url + reverse("invitation_accept", kwargs={"token": token})
    _mail(
        to=email,
        subject=_("Invitation to %(enterprise)s") % {"enterprise": enterprise.name},
        body=_(
            "%(inviter)s invites you to join %(enterprise)s as %(role)s on the solid waste platform.\n\n"
            "Accept by opening this link before %(expires)s:\n\n%(link)s"
        )
        % {
            "inviter": actor,
            "enterprise": enterprise.name,
            "role": invitation.get_role_display(),
            "expires": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
            "link": link,
        },
    )
    _tell_invited_user(invitation)
    return invitation, token


def _tell_invited_user(invitation: Invitation) -> None:
    """Someone who already has an account finds the invitation in their inbox too (in this transaction).
    The inbox holds no link: the token travels only in the mail, as the invitation's secret."""
    from wasteparks import inbox
    from wasteparks.models import NotificationKind

    users = User.objects.filter(email__iexact=invitation.email, is_active=True).values_list("pk", flat=True)
    enterprise, role = invitation.enterprise.name, invitation.role
    inbox.notify(
        user_ids=list(users),
        kind=NotificationKind.INVITATION,
        title=lambda: (
            _("%(enterprise)s invites you to join as %(role)s: open the link in the invitation mail")
            % {"enterprise": enterprise, "role": EnterpriseRole(role).label}
        ),
        dedup_key=f"invitation:{invitation.pk}",
        mail=False,  # the invitation mail itself carries the link
    )


def find_invitation(token: str) -> Invitation:
    """The invitation a link names, whatever its state (the page says why one cannot be accepted)."""
    invitation = (
        Invitation.objects.select_related("enterprise", "invited_by").filter(token_hash=token_digest(token)).first()
    )
    if invitation is None:
        raise InvitationNotFound(_("This invitation link is not valid. Ask for a new invitation."))
    return invitation


def _check_open(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise TransitionNotAllowed(_("This invitation has already been accepted."), code="invitation_used")
    if invitation.revoked_at is not None:
        raise TransitionNotAllowed(
            _("This invitation was withdrawn. Ask the enterprise's administrator for a new one."),
            code="invitation_revoked",
        )
    if invitation.is_expired():
        raise TransitionNotAllowed(
            _("This invitation expired on %(date)s. Ask the enterprise's administrator for a new one.")
            % {"date": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M")},
            code="invitation_expired",
        )


@transaction.atomic
def accept_invitation(*, token: str, user: User) -> EnterpriseMembership:
    """The signed-in `user` takes the role the invitation offers."""
    invitation = Invitation.objects.select_for_update().filter(pk=find_invitation(token).pk).get()
    _check_open(invitation)
    if EnterpriseMembership.objects.filter(user=user, enterprise_id=invitation.enterprise_id).exists():
        raise RuleViolation(_("You are already a member of this enterprise."), code="already_member")
    membership = EnterpriseMembership.objects.create(
        user=user, enterprise_id=invitation.enterprise_id, role=invitation.role
    )
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_by", "accepted_at"])
    forget_scope(user)
    return membership


@transaction.atomic
def accept_invitation_with_new_account(
    *, token: str, username: str, password: str, full_name: str, phone: str = ""
) -> User:
    """Someone without an account accepts: the account is created active, its address confirmed by the
    link that reached it."""
    invitation = find_invitation(token)
    _check_open(invitation)
    user = User(username=username, email=invitation.email, full_name=full_name, phone=phone)
    user.set_password(password)
    user.full_clean()
    user.save()
    accept_invitation(token=token, user=user)
    return user


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, actor: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("enterprise").get(pk=invitation.pk)
    _require_admin(actor, invitation.enterprise)
    _check_open(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def remove_member(*, membership: EnterpriseMembership, actor: User) -> None:
    """Take a person's role on the enterprise away (the account itself stays)."""
    membership = EnterpriseMembership.objects.select_related("enterprise").get(pk=membership.pk)
    _require_admin(actor, membership.enterprise)
    # Lock the enterprise's memberships: two administrators removing each other must not leave none.
    admins = list(
        EnterpriseMembership.objects.select_for_update()
        .filter(enterprise=membership.enterprise, role=EnterpriseRole.ADMIN)
        .values_list("pk", flat=True)
    )
    if membership.role == EnterpriseRole.ADMIN and admins == [membership.pk]:
        raise RuleViolation(
            _("An enterprise keeps at least one administrator: invite another one before removing this one."),
            code="last_admin",
        )
    membership.delete()
    forget_scope(membership.user)


# --- Officers and the accounts of their parks -----------------------------------------------------


def accounts_managed_by(officer: User):
    """The accounts an officer manages: the staff of the enterprises of its jurisdiction. Nobody's for
    someone who is not an officer."""
    scope = scope_of(officer)
    if not (scope.is_officer or (scope.everything and not scope.read_only)):
        return User.objects.none()
    enterprises = Enterprise.objects.visible_to(officer).values("pk")
    return User.objects.filter(pk__in=EnterpriseMembership.objects.filter(enterprise__in=enterprises).values("user_id"))


def fellow_officers(officer: User):
    """The officers over the parks (or the province) an officer supervises: known to it, not managed by it."""
    scope = scope_of(officer)
    condition = Q(park_id__in=scope.park_ids) | Q(park__division__province_code__in=scope.province_codes)
    condition |= Q(province_code__in=scope.province_codes)
    return User.objects.filter(pk__in=JurisdictionMembership.objects.filter(condition).values("user_id"))


def _require_officer_over(officer: User, account: User) -> None:
    if not accounts_managed_by(officer).filter(pk=account.pk).exists():
        raise NotPermitted(_("Only an officer of a park where this person works may do this."))
    if account.is_staff or account.is_superuser or account.is_service_account or account.jurisdictions.exists():
        raise NotPermitted(_("Officers' and administrators' accounts are managed by the system administrator."))


@transaction.atomic
def disable_account(*, account: User, officer: User, reason: str) -> User:
    """Stop `account` from signing in (its sessions end at their next request); the reason is kept."""
    account = User.objects.select_for_update().get(pk=account.pk)
    _require_officer_over(officer, account)
    reason = reason.strip()
    if not reason:
        raise RuleViolation(_("Give a reason."), code="reason_required", fields={"reason": [_("Required.")]})
    if not account.is_active:
        raise TransitionNotAllowed(_("This account is already disabled."))
    account.is_active = False
    account.disabled_at = timezone.now()
    account.disabled_by = officer
    account.disabled_reason = reason
    account.save(update_fields=["is_active", "disabled_at", "disabled_by", "disabled_reason"])
    return account


@transaction.atomic
def enable_account(*, account: User, officer: User) -> User:
    account = User.objects.select_for_update().get(pk=account.pk)
    _require_officer_over(officer, account)
    if account.is_active:
        raise TransitionNotAllowed(_("This account is not disabled."))
    if account.disabled_at is None:
        # Never activated (a sign-up whose address was not confirmed): only its own link activates it.
        raise TransitionNotAllowed(_("This account was never activated; its owner must confirm the e-mail address."))
    account.is_active = True
    account.disabled_at = None
    account.disabled_by = None
    account.disabled_reason = ""
    account.save(update_fields=["is_active", "disabled_at", "disabled_by", "disabled_reason"])
    return account
