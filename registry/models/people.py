"""Registry models: users, their memberships of enterprises and jurisdictions, and API clients."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wasteparks.models import Timestamped

from .organisations import Enterprise, EnterpriseRole, Park

# --- People ---------------------------------------------------------------------------------------


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_service_account = models.BooleanField(
        _("service account"), default=False, help_text=_("The identity an API client acts as; cannot log in.")
    )
    # Set when an officer disables the account (registry.accounts.disable_account); cleared when re-enabled.
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_by = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+", editable=False, verbose_name=_("disabled by")
    )
    disabled_reason = models.CharField(_("reason for disabling"), max_length=500, blank=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # django-stubs declares AbstractUser.Meta's names as str, but Django's own are lazy translations
        # too (and Options takes either): the stub is narrower than Django.
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        # Records name people as their colleagues and officers know them: the one full-name field, not
        # Django's first/last pair (unused here), and the login name only for an account without one.
        return self.full_name or super().get_full_name() or self.username


class EnterpriseMembership(models.Model):
    user = models.ForeignKey(User, models.CASCADE, related_name="enterprise_memberships", verbose_name=_("user"))
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="memberships", verbose_name=_("enterprise"))
    role = models.CharField(_("role"), max_length=10, choices=EnterpriseRole.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise membership")
        verbose_name_plural = _("enterprise memberships")
        constraints = [models.UniqueConstraint(fields=["user", "enterprise"], name="one_role_per_user_and_enterprise")]

    def __str__(self) -> str:
        return f"{self.user} · {self.enterprise} · {self.get_role_display()}"


class OfficerRole(models.TextChoices):
    PARK = "park_officer", _("Park enforcement officer")
    PROVINCE = "provincial_officer", _("Provincial officer")


class JurisdictionMembership(models.Model):
    """An officer's jurisdiction: one park, or a whole province (by its 2-digit division code)."""

    user = models.ForeignKey(User, models.CASCADE, related_name="jurisdictions", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=OfficerRole.choices)
    park = models.ForeignKey(
        Park, models.CASCADE, null=True, blank=True, related_name="officer_memberships", verbose_name=_("park")
    )
    province_code = models.CharField(
        _("province code"), max_length=2, blank=True, validators=[RegexValidator(r"^\d{2}$")]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("officer jurisdiction")
        verbose_name_plural = _("officer jurisdictions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="park_officer") & Q(park__isnull=False) & Q(province_code=""))
                | (Q(role="provincial_officer") & Q(park__isnull=True) & ~Q(province_code="")),
                name="jurisdiction_is_a_park_or_a_province",
                violation_error_message=_("A park officer names a park; a provincial officer names a province."),
            ),
            models.UniqueConstraint(fields=["user", "park"], name="one_membership_per_officer_and_park"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.park or self.province_code}"


class ApiScope(models.TextChoices):
    READ_ALL = "read:all", _("Read everything (provincial platform)")
    ENTERPRISE = "enterprise", _("Read and write its own enterprise")
    DEVICE = "device", _("Post its own device's readings only")


class ApiClient(Timestamped):
    """A machine credential. Only a hash of its token is stored; the token is shown once, at creation."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    user = models.OneToOneField(User, models.PROTECT, related_name="api_client", verbose_name=_("acts as"))
    scope = models.CharField(_("scope"), max_length=12, choices=ApiScope.choices)
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, null=True, blank=True, related_name="api_clients", verbose_name=_("enterprise")
    )
    token_prefix = models.CharField(_("token prefix"), max_length=12, unique=True, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", editable=False, verbose_name=_("created by")
    )

    class Meta(Timestamped.Meta):
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope__in=["enterprise", "device"]) & Q(enterprise__isnull=False))
                | (Q(scope="read:all") & Q(enterprise__isnull=True)),
                name="api_client_enterprise_matches_scope",
                violation_error_message=_(
                    "An enterprise or device client names its enterprise; a read:all client names none."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name
