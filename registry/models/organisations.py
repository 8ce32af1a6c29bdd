"""Registry models: parks, enterprises and their facilities, with the enterprise roles people hold."""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from wasteparks.models import Timestamped, tonnes_field

from .. import querysets
from ..rules import EnterpriseStatus, ManagementClass, validate_credit_code
from ..tenancy import scope_of
from .catalogue import Division, WasteClass

if TYPE_CHECKING:
    from .people import User

ZERO = Decimal("0")

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

    history = HistoricalRecords(excluded_fields=["sync_version"])
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
    # Set while an officer's class stands (ManagementClassChange says who and why): the yearly derivation
    # records what the rule gives but leaves the class alone until an officer lifts the override.
    management_class_overridden = models.BooleanField(_("management class set by an officer"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=EnterpriseStatus.choices, default=EnterpriseStatus.PENDING, db_index=True
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    verified_by = models.ForeignKey(
        "registry.User", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("verified by")
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["sync_version"])
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

_ALL_CLASSES = frozenset(WasteClass.values)
# Which waste classes a facility of each kind is made to hold; waste of another class is refused on entry.
# A yard is the open yard of general industrial solid waste (GB 18599-2020); hazardous waste is stored
# only in a facility built to GB 18597-2023, and medical waste never in the open (Regulations on the
# Management of Medical Waste, art. 17), nor in a tank farm or a pool. The installations take what their
# licence covers, which is checked against the permit, not here.
KIND_HOLDS: dict[str, frozenset[str]] = {
    FacilityKind.WAREHOUSE: _ALL_CLASSES,
    FacilityKind.YARD: frozenset({WasteClass.GENERAL}),
    FacilityKind.TANK_FARM: frozenset({WasteClass.GENERAL, WasteClass.HAZARDOUS}),
    FacilityKind.POOL: frozenset({WasteClass.GENERAL, WasteClass.HAZARDOUS}),
    FacilityKind.STORAGE_POINT: _ALL_CLASSES,
    FacilityKind.UTILIZATION: _ALL_CLASSES,
    FacilityKind.DISPOSAL: _ALL_CLASSES,
}


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
    cold_store = models.BooleanField(
        _("cold store (below 5 °C)"),
        default=False,
        help_text=_(
            "Kept below 5 °C. At a disposal plant medical waste may wait 72 hours in a cold store, "
            "24 hours elsewhere. A cold store holds medical waste only."
        ),
    )

    history = HistoricalRecords(excluded_fields=["sync_version"])
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

    def may_hold(self, waste_class: str) -> bool:
        """Whether waste of `waste_class` may enter this facility: its kind is made for the class, and a
        cold store takes medical waste only (it is kept for what must be cooled)."""
        if self.cold_store:
            return waste_class == WasteClass.MEDICAL
        return waste_class in KIND_HOLDS[self.kind]

    @property
    def kind_label(self) -> str:
        """The kind as a refusal names it: a cold store is named as such whatever building it is."""
        return str(_("medical waste cold store")) if self.cold_store else str(self.get_kind_display())


class EnterpriseRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PREPARER = "preparer", _("Preparer")
    DRIVER = "driver", _("Driver")
    VIEWER = "viewer", _("Viewer")
