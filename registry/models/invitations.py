"""Registry models: an enterprise administrator's invitation of a person to a role on the enterprise.

The link mailed to the invitee carries a random token; only its SHA-256 is stored, so the table alone
never lets anybody accept an invitation.
"""

import hashlib

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .organisations import Enterprise, EnterpriseRole
from .people import User


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self, now=None) -> "InvitationQuerySet":
        """Neither accepted nor revoked, and not yet expired: the link still works."""
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=now or timezone.now())

    def of_enterprise(self, enterprise) -> "InvitationQuerySet":
        return self.filter(enterprise=enterprise)


class Invitation(models.Model):
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="invitations", verbose_name=_("enterprise"))
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=10, choices=EnterpriseRole.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("accepted by")
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=EnterpriseRole.values), name="invitation_role_exists"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="invitation_expires_later"),
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.enterprise} · {self.get_role_display()}"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())
