"""Imports of another platform's transactions (first the waste lead-acid battery collection platform):
one ImportRun per file or pull, one ImportRow per source row with its outcome, and one ImportedRecord per
source record, unique on (source, source record id) so the same record is never booked twice."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, Park, User, WasteCode
from registry.tenancy import scope_of
from transfers.models import Manifest
from wasteparks.models import Timestamped, tonnes_field

__all__ = [
    "ImportOutcome",
    "ImportRow",
    "ImportRun",
    "ImportRunStatus",
    "ImportSource",
    "ImportedRecord",
    "RecordKind",
]


class ImportSource(models.TextChoices):
    BATTERIES = "batteries", _("Waste lead-acid battery collection platform")


class ImportRunStatus(models.TextChoices):
    DONE = "done", _("Imported")
    REFUSED = "refused", _("File refused")


class ImportOutcome(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    UNCHANGED = "unchanged", _("Already imported, unchanged")
    REFUSED = "refused", _("Refused")


class RecordKind(models.TextChoices):
    COLLECTION = "collection", _("Collection")
    TRANSFER = "transfer", _("Transfer")


class ImportRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="park", enterprise=None))


class ImportRun(Timestamped):
    """One file (or one pull) processed for one park. `digest` is the content's SHA-256: the same file
    sent again for the same park returns this run instead of writing a second one."""

    park = models.ForeignKey(Park, models.PROTECT, related_name="import_runs", verbose_name=_("park"))
    source = models.CharField(_("source platform"), max_length=20, choices=ImportSource.choices)
    file_name = models.CharField(_("file name"), max_length=200)
    file_kind = models.CharField(_("file kind"), max_length=8)
    digest = models.CharField(_("content digest"), max_length=64)
    actor = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by"))
    status = models.CharField(_("status"), max_length=10, choices=ImportRunStatus.choices)
    column_report = models.TextField(_("column report"), blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_imported = models.PositiveIntegerField(_("imported"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_refused = models.PositiveIntegerField(_("refused"), default=0)

    objects = ImportRunQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-created_at"]
        verbose_name = _("import run")
        constraints = [
            models.UniqueConstraint(fields=["park", "source", "digest"], name="import_run_once_per_content"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name}"


class ImportedRecord(Timestamped):
    """A source record as booked here, mapped to our enterprises, code and (if any) manifest."""

    source = models.CharField(_("source platform"), max_length=20, choices=ImportSource.choices)
    source_record_id = models.CharField(_("source record id"), max_length=64)
    park = models.ForeignKey(Park, models.PROTECT, related_name="+", verbose_name=_("park"))
    kind = models.CharField(_("record kind"), max_length=12, choices=RecordKind.choices)
    occurred_on = models.DateField(_("date"))
    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="+", verbose_name=_("enterprise"))
    receiver = models.ForeignKey(
        Enterprise, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("receiver")
    )
    receiver_credit_code = models.CharField(_("receiver credit code"), max_length=18, blank=True)
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    quantity_t = tonnes_field(_("quantity (t)"))
    manifest = models.ForeignKey(
        Manifest, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("manifest")
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=64)

    class Meta(Timestamped.Meta):
        verbose_name = _("imported record")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_record_id"], name="imported_record_once"),
            models.CheckConstraint(condition=Q(quantity_t__gt=0), name="imported_record_quantity_positive"),
        ]
        indexes = [models.Index(fields=["park", "occurred_on"])]


class ImportRow(models.Model):
    """What became of one source row in one run, with the reason when refused."""

    run = models.ForeignKey(ImportRun, models.CASCADE, related_name="rows", verbose_name=_("import run"))
    row_no = models.PositiveIntegerField(_("row"))
    source_record_id = models.CharField(_("source record id"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ImportOutcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    record = models.ForeignKey(
        ImportedRecord, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("record")
    )

    class Meta:
        ordering = ["run", "row_no"]
        verbose_name = _("import row")
        constraints = [models.UniqueConstraint(fields=["run", "row_no"], name="import_row_once")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.row_no} {self.outcome}"
