"""Registry models: the waste catalogue (classes, categories, codes, methods) and administrative divisions."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from wasteparks.models import Timestamped

from .. import querysets

# --- The waste catalogue (loaded from registry/reference/*.csv by `manage.py load_catalogue`) -----


class NamedInTwoLanguages:
    """Catalogue rows carry their official Chinese name and an English one: a page reads the one of its
    language, and the Chinese where the catalogue has no English."""

    name_zh: str
    name_en: str

    @staticmethod
    def name_field() -> str:
        """The column to read names from in the current language (for `values_list`)."""
        return "name_en" if (get_language() or "").startswith("en") else "name_zh"

    @property
    def name(self) -> str:
        return getattr(self, self.name_field()) or self.name_zh

    def __str__(self) -> str:
        return f"{self.code} {self.name}"  # type: ignore[attr-defined]


class WasteClass(models.TextChoices):
    GENERAL = "general", _("General industrial solid waste")
    HAZARDOUS = "hazardous", _("Hazardous waste")
    MEDICAL = "medical", _("Medical waste")


class WasteCategory(NamedInTwoLanguages, Timestamped):
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

    @property
    def waste_class(self) -> str | None:
        """The class of its codes: the catalogue gives every code of a category the same class (one query)."""
        return self.codes.values_list("waste_class", flat=True).first()


class WasteCode(NamedInTwoLanguages, Timestamped):
    code = models.CharField(_("code"), max_length=12, unique=True)
    waste_class = models.CharField(_("waste class"), max_length=12, choices=WasteClass.choices, db_index=True)
    category = models.ForeignKey(WasteCategory, models.PROTECT, related_name="codes", verbose_name=_("category"))
    hazard = models.CharField(
        _("hazard characteristics"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^(T|C|I|R|In)(/(T|C|I|R|In))*$", _("Use T, C, I, R or In separated by /."))],
    )
    name_zh = models.CharField(_("Chinese name"), max_length=500)
    # The ministry's table has no English column: a code loaded from it has none until translated.
    name_en = models.CharField(_("English name"), max_length=500, blank=True)
    industry_source = models.CharField(_("industry source"), max_length=200, blank=True)
    # Editions of the National Hazardous Waste List the code was read in, e.g. "2021" or "2021;2025".
    editions = models.CharField(_("editions"), max_length=40, blank=True)
    # A code withdrawn by a later edition keeps its row (old manifests name it) and gets valid_to.
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True, help_text=_("Where the row was read."))
    active = models.BooleanField(_("active"), default=True)

    objects = querysets.CatalogueQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["code"]
        verbose_name = _("waste code")
        verbose_name_plural = _("waste codes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_to__isnull=True)
                | models.Q(valid_from__lt=models.F("valid_to")),
                name="waste_code_valid_from_before_valid_to",
            ),
        ]


class MethodKind(models.TextChoices):
    UTILIZATION = "utilization", _("Utilization")
    DISPOSAL = "disposal", _("Disposal")
    STORAGE = "storage", _("Storage")


class ManagementMethod(NamedInTwoLanguages, Timestamped):
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


class Division(NamedInTwoLanguages, models.Model):
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

    @property
    def is_province(self) -> bool:
        return len(self.code) == 2
