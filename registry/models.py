"""Who and what: the waste catalogue, parks, enterprises, facilities, permits, people and API clients."""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from wasteparks.models import Timestamped, tonnes_field, touch

from . import querysets
from .rules import EnterpriseStatus, ManagementClass, validate_credit_code
from .tenancy import scope_of

ZERO = Decimal("0")


# --- The waste catalogue (loaded from registry/reference/*.csv by `manage.py load_catalogue`) -----


class WasteClass(models.TextChoices):
    GENERAL = "general", _("General industrial solid waste")
    HAZARDOUS = "hazardous", _("Hazardous waste")
    MEDICAL = "medical", _("Medical waste")


class WasteCategory(Timestamped):
    """HW01..HW50 (National Hazardous Waste List) or SW01..SW59 (general industrial solid waste)."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    objects = querysets.CatalogueQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["code"]
        verbose_name = _("waste category")
        verbose_name_plural = _("waste categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class WasteCode(Timestamped):
    code = models.CharField(_("code"), max_length=12, unique=True)
    waste_class = models.CharField(_("waste class"), max_length=12, choices=WasteClass.choices, db_index=True)
    category = models.ForeignKey(WasteCategory, models.PROTECT, related_name="codes", verbose_name=_("category"))
    hazard = models.CharField(
        _("hazard characteristics"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^(T|C|I|R|In)(/(T|C|I|R|In))*$", _("Use T, C, I, R or In separated by /."))],
    )
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    objects = querysets.CatalogueQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["code"]
        verbose_name = _("waste code")
        verbose_name_plural = _("waste codes")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class MethodKind(models.TextChoices):
    UTILIZATION = "utilization", _("Utilization")
    DISPOSAL = "disposal", _("Disposal")
    STORAGE = "storage", _("Storage")


class ManagementMethod(Timestamped):
    code = models.CharField(_("code"), max_length=6, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=MethodKind.choices)
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    objects = querysets.CatalogueQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["code"]
        verbose_name = _("management method")
        verbose_name_plural = _("management methods")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class Division(models.Model):
    """GB/T 2260 administrative division: 2 digits a province, 4 a city (prefecture)."""

    code = models.CharField(_("code"), max_length=6, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    province_code = models.CharField(_("province code"), max_length=2, db_index=True)

    objects = querysets.CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def is_province(self) -> bool:
        return len(self.code) == 2


# --- Parks and enterprises ------------------------------------------------------------------------


class Park(Timestamped):
    name = models.CharField(_("name"), max_length=200, unique=True)
    division = models.ForeignKey(
        Division,
        models.PROTECT,
        related_name="parks",
        verbose_name=_("administrative division"),
        help_text=_("The city (4-digit GB/T 2260 code) the park lies in; manifest numbers use it."),
    )
    utilization_target_pct = models.DecimalField(
        _("utilization target (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("80"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )

    history = HistoricalRecords()
    objects = querysets.ParkQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["name"]
        verbose_name = _("park")
        verbose_name_plural = _("parks")
        constraints = [
            models.CheckConstraint(
                condition=Q(utilization_target_pct__gte=0) & Q(utilization_target_pct__lte=100),
                name="park_target_is_a_percentage",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.division_id and self.division.is_province:
            raise ValidationError({"division": _("Choose a city-level division (4 digits), not a province.")})

    @property
    def province_code(self) -> str:
        return self.division.province_code


industry_code_validator = RegexValidator(
    r"^[A-T](\d{2}|\d{3}|\d{4})?$",
    _("Use a GB/T 4754 code: a section letter A-T, optionally followed by 2 to 4 digits (e.g. C3011)."),
)


class Enterprise(Timestamped):
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        error_messages={"unique": _("An enterprise with this unified social credit code is already registered.")},
    )
    name = models.CharField(_("name"), max_length=200)
    park = models.ForeignKey(Park, models.PROTECT, related_name="enterprises", verbose_name=_("park"))
    industry_code = models.CharField(_("industry (GB/T 4754)"), max_length=5, validators=[industry_code_validator])
    address = models.CharField(_("address"), max_length=300, blank=True)
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    contact_name = models.CharField(_("contact person"), max_length=100)
    contact_phone = models.CharField(
        _("contact phone"), max_length=30, validators=[RegexValidator(r"^[0-9+\-() ]{5,30}$")]
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_generator = models.BooleanField(_("generator"), default=True)
    is_carrier = models.BooleanField(_("carrier"), default=False)
    is_receiver = models.BooleanField(_("receiver (utilizes or disposes)"), default=False)
    management_class = models.CharField(
        _("management class"), max_length=12, choices=ManagementClass.choices, default=ManagementClass.REGISTRATION
    )
    status = models.CharField(
        _("status"), max_length=10, choices=EnterpriseStatus.choices, default=EnterpriseStatus.PENDING, db_index=True
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    verified_by = models.ForeignKey(
        "registry.User", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("verified by")
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    history = HistoricalRecords()
    # Set before a save: simple_history records them as who made the change and why; not columns.
    _history_user: "User | None"
    _change_reason: str
    objects = querysets.EnterpriseQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_generator=True) | Q(is_carrier=True) | Q(is_receiver=True),
                name="enterprise_has_a_role",
                violation_error_message=_("Choose at least one role: generator, carrier or receiver."),
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="enterprise_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="enterprise_latitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def roles(self) -> list[str]:
        flags = (("generator", self.is_generator), ("carrier", self.is_carrier), ("receiver", self.is_receiver))
        return [name for name, held in flags if held]

    @property
    def is_active(self) -> bool:
        return self.status == EnterpriseStatus.ACTIVE

    def is_administered_by(self, user) -> bool:
        """Whether `user` is an administrator of this enterprise (its own API client counts as one)."""
        return EnterpriseRole.ADMIN in scope_of(user).roles_on(self.pk)


class FacilityKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    YARD = "yard", _("Yard")
    TANK_FARM = "tank_farm", _("Tank farm")
    POOL = "pool", _("Pool")
    STORAGE_POINT = "storage_point", _("Storage point")
    UTILIZATION = "utilization", _("Utilization installation")
    DISPOSAL = "disposal", _("Disposal installation")


TREATMENT_KINDS = (FacilityKind.UTILIZATION, FacilityKind.DISPOSAL)


class Facility(Timestamped):
    """A storage place (capacity in tonnes on hand) or a treatment installation (tonnes per year)."""

    sync_parents = ("enterprise",)

    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="facilities", verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=FacilityKind.choices)
    capacity_t = tonnes_field(
        _("capacity (t)"),
        validators=[MinValueValidator(ZERO)],
        help_text=_("Storage: tonnes it can hold. Installation: tonnes it can treat per year."),
    )
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    # Set before a save: simple_history records it as who made the change; not a column.
    _history_user: "User | None"
    objects = querysets.FacilityQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["enterprise_id", "name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            models.CheckConstraint(condition=Q(capacity_t__gte=0), name="facility_capacity_not_negative"),
            models.UniqueConstraint(fields=["enterprise", "name"], name="facility_name_unique_per_enterprise"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.name}"


# --- Permits and approvals ------------------------------------------------------------------------


class PermitKind(models.TextChoices):
    HAZARDOUS_OPERATING = "hw_operating", _("Hazardous waste operating licence")
    ROAD_TRANSPORT = "road_transport", _("Road transport permit (dangerous goods)")
    MEDICAL_DISPOSAL = "medical_disposal", _("Medical waste disposal permit")


class Permit(Timestamped):
    sync_parents = ("enterprise",)

    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="permits", verbose_name=_("enterprise"))
    kind = models.CharField(_("kind"), max_length=16, choices=PermitKind.choices)
    number = models.CharField(_("number"), max_length=64)
    issuer = models.CharField(_("issued by"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    covers_collection = models.BooleanField(_("collection"), default=False)
    covers_storage = models.BooleanField(_("storage"), default=False)
    covers_utilization = models.BooleanField(_("utilization"), default=False)
    covers_disposal = models.BooleanField(_("disposal"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    history = HistoricalRecords()
    objects = querysets.PermitQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["valid_to", "number"]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")),
                name="permit_ends_after_it_starts",
                violation_error_message=_("A permit cannot end before it starts."),
            ),
            models.UniqueConstraint(fields=["kind", "number"], name="permit_number_unique_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("A permit cannot end before it starts.")})


class PermitLine(models.Model):
    """One line of a licence: a waste code or a whole category, a method and an annual capacity."""

    permit = models.ForeignKey(Permit, models.CASCADE, related_name="lines", verbose_name=_("permit"))
    waste_code = models.ForeignKey(
        WasteCode, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("waste code")
    )
    category = models.ForeignKey(
        WasteCategory, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    method = models.ForeignKey(ManagementMethod, models.PROTECT, related_name="+", verbose_name=_("method"))
    annual_capacity_t = tonnes_field(_("annual capacity (t)"), validators=[MinValueValidator(ZERO)])

    objects = querysets.PermitLineQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("permit line")
        verbose_name_plural = _("permit lines")
        constraints = [
            models.CheckConstraint(condition=Q(annual_capacity_t__gte=0), name="permit_line_capacity_not_negative"),
            models.CheckConstraint(
                condition=(Q(waste_code__isnull=False) & Q(category__isnull=True))
                | (Q(waste_code__isnull=True) & Q(category__isnull=False)),
                name="permit_line_names_code_or_category",
                violation_error_message=_("A permit line names either a waste code or a category, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.waste_code or self.category} · {self.method.code} · {self.annual_capacity_t} t/yr"

    # A line is part of its permit: changing it moves the permit (and the enterprise nesting it) forward
    # in the sync order.
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._touch_permit()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._touch_permit()
        return result

    def _touch_permit(self) -> None:
        touch(Permit, self.permit_id)
        Permit.objects.only("enterprise_id").get(pk=self.permit_id).touch_sync_parents()

    def clean(self) -> None:
        if bool(self.waste_code_id) == bool(self.category_id):
            raise ValidationError(_("A permit line names either a waste code or a category, not both."))


class TransferApproval(Timestamped):
    """Approval of a cross-province transfer (Hazardous Waste Transfer Measures 2022): 12 months at most."""

    number = models.CharField(_("number"), max_length=64, unique=True)
    consignor = models.ForeignKey(Enterprise, models.PROTECT, related_name="+", verbose_name=_("consignor"))
    receiver = models.ForeignKey(Enterprise, models.PROTECT, related_name="+", verbose_name=_("receiver"))
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    approved_quantity_t = tonnes_field(_("approved quantity (t)"), validators=[MinValueValidator(Decimal("0.0001"))])
    quantity_used_t = tonnes_field(_("quantity used (t)"), default=ZERO, validators=[MinValueValidator(ZERO)])
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    issuer = models.CharField(_("approved by"), max_length=200)

    history = HistoricalRecords()
    objects = querysets.TransferApprovalQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-valid_to"]
        verbose_name = _("cross-province transfer approval")
        verbose_name_plural = _("cross-province transfer approvals")
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="approval_ends_after_it_starts"),
            models.CheckConstraint(condition=Q(approved_quantity_t__gt=0), name="approval_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_used_t__gte=0) & Q(quantity_used_t__lte=F("approved_quantity_t")),
                name="approval_used_within_approved",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        if not (self.valid_from and self.valid_to):
            return
        if self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("An approval cannot end before it starts.")})
        try:
            limit = self.valid_from.replace(year=self.valid_from.year + 1)
        except ValueError:  # 29 February
            limit = self.valid_from.replace(year=self.valid_from.year + 1, day=28)
        if self.valid_to >= limit:
            raise ValidationError({"valid_to": _("A transfer approval is valid for 12 months at most.")})

    @property
    def remaining_t(self) -> Decimal:
        return self.approved_quantity_t - self.quantity_used_t


# --- People ---------------------------------------------------------------------------------------


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_service_account = models.BooleanField(
        _("service account"), default=False, help_text=_("The identity an API client acts as; cannot log in.")
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # django-stubs declares AbstractUser.Meta's names as str, but Django's own are lazy translations
        # too (and Options takes either): the stub is narrower than Django.
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.full_name or self.username


class EnterpriseRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PREPARER = "preparer", _("Preparer")
    DRIVER = "driver", _("Driver")
    VIEWER = "viewer", _("Viewer")


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
                condition=(Q(scope="enterprise") & Q(enterprise__isnull=False))
                | (Q(scope="read:all") & Q(enterprise__isnull=True)),
                name="api_client_enterprise_matches_scope",
                violation_error_message=_("An enterprise client names its enterprise; a read:all client names none."),
            )
        ]

    def __str__(self) -> str:
        return self.name
