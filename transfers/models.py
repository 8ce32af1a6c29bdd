"""Where the waste goes: the ledger, stock balances and electronic transfer manifests (DESIGN 3, 4)."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from registry.models import (
    Enterprise,
    EnterpriseRole,
    Facility,
    ManagementMethod,
    TransferApproval,
    User,
    WasteClass,
    WasteCode,
)
from wasteparks.models import Timestamped, tonnes_field

from . import querysets

ZERO = Decimal("0")
# Half of the last of the four decimal places of a quantity. PostgreSQL stores quantities exactly, so a
# difference below it is no difference; SQLite (the embedded default) keeps them as binary floats, whose
# sums of the same figures can differ far below it.
HALF_LAST_PLACE = Decimal("0.00005")


class Source(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")


# --- The ledger -----------------------------------------------------------------------------------


class LedgerStage(models.TextChoices):
    GENERATED = "generated", _("Generated")
    # The two legs of a move between two stores of the same enterprise (services.ledger.move_stock); never
    # recorded on their own.
    STORED_IN = "stored_in", _("Moved in from another own store")
    STORED_OUT = "stored_out", _("Moved out to another own store")
    UTILIZED_IN_HOUSE = "utilized_in_house", _("Utilized in house")
    DISPOSED_IN_HOUSE = "disposed_in_house", _("Disposed of in house")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")


# What each stage does to the stock held at the entry's facility. A move between two facilities of the
# same enterprise is a stored_out at the first and a stored_in at the second, sharing one move id.
INFLOW_STAGES = frozenset({LedgerStage.GENERATED, LedgerStage.STORED_IN, LedgerStage.RECEIVED})
OUTFLOW_STAGES = frozenset(
    {
        LedgerStage.STORED_OUT,
        LedgerStage.SHIPPED,
        LedgerStage.UTILIZED_IN_HOUSE,
        LedgerStage.DISPOSED_IN_HOUSE,
    }
)
TREATMENT_STAGES = frozenset({LedgerStage.UTILIZED_IN_HOUSE, LedgerStage.DISPOSED_IN_HOUSE})
MOVE_STAGES = frozenset({LedgerStage.STORED_IN, LedgerStage.STORED_OUT})
# Shipping and receiving only ever happen on a manifest; the ledger records them from the signatures.
MANIFEST_STAGES = frozenset({LedgerStage.SHIPPED, LedgerStage.RECEIVED})


class LedgerEntry(Timestamped):
    """One movement of waste at one facility of one enterprise. Entries are never edited.

    Stock effect (see INFLOW_STAGES/OUTFLOW_STAGES): generated, stored_in and received add to the
    facility's stock; stored_out, shipped, utilized_in_house and disposed_in_house take from it. Shipped
    and received entries are written by the manifest signatures and point at their manifest line; a
    load the receiver refuses is booked back into the consignor's stock as a received entry on the same
    line, so no tonne ever leaves the books without a destination.

    A wrong entry is corrected by a reversing entry (`reverses`): same key, stage and time (the database
    holds it to the time), the opposite (negative) quantity. Every sum over the ledger (stock, report
    prefill, snapshots, permit capacity) then nets the pair to zero without knowing about reversals; the
    original row stays as it was.

    A move between two stores of the enterprise is one stored_out at the source and one or more stored_in
    at the destination, written together and sharing `move`; the pair nets to zero for the enterprise, so
    the report never sees it. Each stored_in carries `stock_since`, when its tonnes first came into stock:
    the storage clock (one year for hazardous waste) runs on from there and does not restart at a move.

    On PostgreSQL the table is partitioned by year of `occurred_at` (wasteparks/partitions.py); its primary
    key there is (id, occurred_at), ids staying unique through the table's identity.
    """

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="ledger_entries", verbose_name=_("enterprise")
    )
    facility = models.ForeignKey(Facility, models.PROTECT, related_name="ledger_entries", verbose_name=_("facility"))
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    stage = models.CharField(_("stage"), max_length=20, choices=LedgerStage.choices, db_index=True)
    quantity_t = tonnes_field(_("quantity (t)"))
    batch_code = models.CharField(_("batch code"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    recorded_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    manifest_line = models.ForeignKey(
        "transfers.ManifestLine",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("manifest line"),
    )
    method = models.ForeignKey(
        ManagementMethod, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("method")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=3, choices=Source.choices, default=Source.WEB)
    # No foreign-key constraint: on PostgreSQL the table is partitioned by year of occurred_at, which no
    # foreign key can point at; a constraint trigger holds the reference instead, and requires the
    # reversed entry's time (transfers/migrations/0011_time_partitions.py).
    reverses = models.OneToOneField(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
        db_constraint=False,
    )
    move = models.UUIDField(_("move"), null=True, blank=True, db_index=True)
    stock_since = models.DateTimeField(_("in stock since"), null=True, blank=True)

    objects = querysets.LedgerEntryQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["occurred_at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            *Timestamped.Meta.indexes,
            models.Index(fields=["enterprise", "facility", "waste_code", "occurred_at"], name="ledger_stock_key"),
            # A stock key's standing inflows newest first in the FIFO order, which `with_oldest_on_hand`
            # counts (only the inflows, not every entry of the key).
            models.Index(
                F("enterprise"),
                F("facility"),
                F("waste_code"),
                querysets.in_stock_since().desc(),
                F("id").desc(),
                name="ledger_inflows_newest_first",
                condition=Q(stage__in=sorted(INFLOW_STAGES), reverses__isnull=True),
            ),
        ]
        constraints = [
            # An entry adds or takes a positive quantity; only a reversing entry carries the negative of the
            # entry it undoes.
            models.CheckConstraint(
                condition=Q(quantity_t__gt=0, reverses__isnull=True) | Q(quantity_t__lt=0, reverses__isnull=False),
                name="ledger_quantity_positive",
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=MANIFEST_STAGES) | Q(manifest_line__isnull=False),
                name="ledger_shipment_has_manifest_line",
                violation_error_message=_("Shipments and receipts are recorded from a manifest."),
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=TREATMENT_STAGES) | Q(method__isnull=False),
                name="ledger_treatment_has_method",
                violation_error_message=_("Utilization and disposal name the management method."),
            ),
            models.CheckConstraint(
                condition=Q(move__isnull=True) | Q(stage__in=MOVE_STAGES), name="ledger_move_only_on_move_legs"
            ),
            models.CheckConstraint(
                condition=Q(stock_since__isnull=True) | Q(stage=LedgerStage.STORED_IN, move__isnull=False),
                name="ledger_stock_since_only_on_moved_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.quantity_t} t {self.waste_code_id} @ {self.facility_id}"


class StockBalance(Timestamped):
    """Stock on hand per (enterprise, facility, waste code), kept in step with the ledger.

    Written only in the transaction that writes a ledger entry, under a row lock, so two withdrawals
    racing for the same stock are serialised and the second sees what the first left. The database
    refuses a negative balance even if a code path forgot the lock. `StockBalance.objects.drifted()`
    lists rows that no longer equal the sum of their entries (there should never be any).
    """

    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="stock", verbose_name=_("enterprise"))
    facility = models.ForeignKey(Facility, models.PROTECT, related_name="stock", verbose_name=_("facility"))
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    quantity_t = tonnes_field(_("on hand (t)"), default=ZERO)
    total_in_t = tonnes_field(_("total in (t)"), default=ZERO)
    total_out_t = tonnes_field(_("total out (t)"), default=ZERO)

    objects = querysets.StockBalanceQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["enterprise_id", "facility_id", "waste_code_id"]
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "facility", "waste_code"], name="stock_one_row_per_key"),
            models.CheckConstraint(condition=Q(quantity_t__gte=0), name="stock_not_negative"),
            models.CheckConstraint(
                condition=Q(
                    quantity_t__gte=F("total_in_t") - F("total_out_t") - Value(HALF_LAST_PLACE),
                    quantity_t__lte=F("total_in_t") - F("total_out_t") + Value(HALF_LAST_PLACE),
                ),
                name="stock_is_in_minus_out",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.waste_code_id}: {self.quantity_t} t"


# --- Manifests ------------------------------------------------------------------------------------


class ManifestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


class Purpose(models.TextChoices):
    UTILIZATION = "utilization", _("Utilization")
    DISPOSAL = "disposal", _("Disposal")
    STORAGE = "storage", _("Storage")


class Party(models.TextChoices):
    CONSIGNOR = "consignor", _("Consignor")
    CARRIER = "carrier", _("Carrier")
    RECEIVER = "receiver", _("Receiver")


class Manifest(Timestamped):
    """An electronic transfer manifest: one vehicle trip from a consignor to a receiver.

    The number is allocated when the consignor signs (submission); a draft has none. Each signature
    stamps its time; medical waste time limits (DESIGN 5.5) are read from these stamps and from the
    lines' treated_at.
    """

    number = models.CharField(_("number"), max_length=14, unique=True, null=True, blank=True)
    waste_class = models.CharField(_("waste class"), max_length=12, choices=WasteClass.choices, db_index=True)
    consignor = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="manifests_sent", verbose_name=_("consignor")
    )
    carrier = models.ForeignKey(Enterprise, models.PROTECT, related_name="manifests_carried", verbose_name=_("carrier"))
    receiver = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="manifests_received", verbose_name=_("receiver")
    )
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=16, blank=True)
    driver = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="manifests_driven", verbose_name=_("driver")
    )
    planned_date = models.DateField(_("planned date"))
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    # The national manifest form carries the consignor's precautions and emergency measures for the load,
    # for the driver and whoever attends an accident on the road.
    emergency_measures = models.TextField(_("precautions and emergency measures"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ManifestStatus.choices, default=ManifestStatus.DRAFT, db_index=True
    )
    is_cross_province = models.BooleanField(_("cross-province"), default=False)
    approval = models.ForeignKey(
        TransferApproval,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="manifests",
        verbose_name=_("transfer approval"),
    )
    has_discrepancy = models.BooleanField(_("quantity discrepancy"), default=False, db_index=True)
    reason = models.TextField(_("cancellation or rejection reason"), blank=True)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("created by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["sync_version"])
    # Why a save changed the row, kept on its history row (simple_history reads it); not a column.
    _change_reason: str
    objects = querysets.ManifestQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("transfer manifest")
        verbose_name_plural = _("transfer manifests")
        indexes = [
            *Timestamped.Meta.indexes,
            # The lists' default order: a page of the newest is read from here, not sorted from all rows.
            models.Index(fields=["created_at", "id"], name="manifest_newest_first"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ManifestStatus.DRAFT) | Q(number__isnull=False) | Q(status=ManifestStatus.CANCELLED),
                name="manifest_signed_has_number",
                violation_error_message=_("A signed manifest carries its number."),
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__regex=r"^\d{14}$"), name="manifest_number_14_digits"
            ),
            models.CheckConstraint(condition=~Q(consignor=F("receiver")), name="manifest_consignor_is_not_receiver"),
        ]

    def __str__(self) -> str:
        return self.number or _("Draft manifest #%(id)s") % {"id": self.pk}

    def party_enterprise(self, party: str) -> Enterprise:
        # Keyed by str: a Party member is its value, and callers pass either.
        enterprises: dict[str, Enterprise] = {
            Party.CONSIGNOR: self.consignor,
            Party.CARRIER: self.carrier,
            Party.RECEIVER: self.receiver,
        }
        return enterprises[party]

    def party_id(self, party: str) -> int:
        ids: dict[str, int] = {
            Party.CONSIGNOR: self.consignor_id,
            Party.CARRIER: self.carrier_id,
            Party.RECEIVER: self.receiver_id,
        }
        return ids[party]

    @property
    def is_medical(self) -> bool:
        return self.waste_class == WasteClass.MEDICAL

    @property
    def medical_treatment_due(self):
        """Latest treatment time for medical waste received at ≥ 5 °C (GB 39707-2020: 24 h)."""
        if not self.is_medical or self.received_at is None:
            return None
        return self.received_at + timedelta(hours=24)


class PackagingType(models.TextChoices):
    DRUM = "drum", _("Drum")
    BAG = "bag", _("Bag")
    BOX = "box", _("Box")
    IBC = "ibc", _("IBC tote")
    TANK = "tank", _("Tank")
    BULK = "bulk", _("Bulk")
    OTHER = "other", _("Other")


class PhysicalForm(models.TextChoices):
    SOLID = "solid", _("Solid")
    SEMI_SOLID = "semi_solid", _("Semi-solid")
    LIQUID = "liquid", _("Liquid")
    SLUDGE = "sludge", _("Sludge")
    GAS = "gas", _("Gas")


class Acceptance(models.TextChoices):
    # A load is accepted as received (全部接收), not approved as a report is (通过): the context parts them.
    ACCEPTED = "accepted", pgettext_lazy("load acceptance", "Accepted")
    PARTIALLY_REJECTED = "partially_rejected", _("Partially rejected")
    REJECTED = "rejected", _("Rejected")


class ManifestPark(models.Model):
    """A park among a manifest's parties: one row per park of its consignor, carrier and receiver, with
    the manifest's creation time. Written by the database alone (transfers/manifest_parks.py), on every
    insert of a manifest, change of its parties and move of an enterprise to another park, so no write
    path can forget it. A park officer's manifest list is read through it (ManifestQuerySet.listed_for),
    newest first from one index, instead of by scanning the province's newest manifests for their park's
    (bench/RESULTS.md, B5)."""

    # A manifest is linked to a park once; no id of its own (2.5 million rows at a province's scale).
    pk = models.CompositePrimaryKey("manifest", "park")
    # Both looked up through the indexes that lead with them: the primary key, and the one below.
    manifest = models.ForeignKey(Manifest, models.CASCADE, related_name="park_links", db_index=False)
    park = models.ForeignKey("registry.Park", models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["park", "created_at", "manifest"], name="manifest_parks_newest_first")]

    def __str__(self) -> str:
        return f"{self.manifest_id} @ park {self.park_id}"


class ManifestLine(models.Model):
    """One waste code on a manifest: declared by the consignor, weighed and accepted by the receiver,
    then utilized or disposed of with a method."""

    manifest = models.ForeignKey(Manifest, models.CASCADE, related_name="lines", verbose_name=_("manifest"))
    line_no = models.PositiveSmallIntegerField(_("line"))
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    source_facility = models.ForeignKey(
        Facility, models.PROTECT, related_name="+", verbose_name=_("shipped from facility")
    )
    declared_quantity_t = tonnes_field(_("declared quantity (t)"))
    packaging_type = models.CharField(_("packaging"), max_length=8, choices=PackagingType.choices)
    packaging_count = models.PositiveIntegerField(_("number of packages"), default=1)
    physical_form = models.CharField(_("physical form"), max_length=12, choices=PhysicalForm.choices)
    hazard = models.CharField(_("hazard characteristics"), max_length=20, blank=True)
    batch_code = models.CharField(_("batch code"), max_length=64, blank=True)
    # Receipt
    received_quantity_t = tonnes_field(_("received quantity (t)"), null=True, blank=True)
    accepted_quantity_t = tonnes_field(_("accepted quantity (t)"), null=True, blank=True)
    acceptance = models.CharField(_("acceptance"), max_length=20, choices=Acceptance.choices, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    is_discrepancy = models.BooleanField(_("discrepancy"), default=False)
    receiving_facility = models.ForeignKey(
        Facility, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("received into facility")
    )
    # Treatment
    treatment_method = models.ForeignKey(
        ManagementMethod, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("method")
    )
    treated_quantity_t = tonnes_field(_("treated quantity (t)"), null=True, blank=True)
    treated_at = models.DateTimeField(_("treated at"), null=True, blank=True)

    history = HistoricalRecords()
    # Why a save changed the row, kept on its history row (simple_history reads it); not a column.
    _change_reason: str

    class Meta:
        ordering = ["manifest_id", "line_no"]
        verbose_name = _("manifest line")
        verbose_name_plural = _("manifest lines")
        constraints = [
            models.UniqueConstraint(fields=["manifest", "line_no"], name="manifest_line_no_unique"),
            models.CheckConstraint(condition=Q(declared_quantity_t__gt=0), name="line_declared_positive"),
            models.CheckConstraint(
                condition=Q(received_quantity_t__isnull=True) | Q(received_quantity_t__gte=0),
                name="line_received_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(accepted_quantity_t__isnull=True)
                | (Q(accepted_quantity_t__gte=0) & Q(accepted_quantity_t__lte=F("received_quantity_t"))),
                name="line_accepted_within_received",
            ),
            models.CheckConstraint(
                condition=Q(treated_quantity_t__isnull=True)
                | (Q(treated_quantity_t__gt=0) & Q(treated_quantity_t__lte=F("accepted_quantity_t"))),
                name="line_treated_within_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manifest} #{self.line_no} {self.waste_code_id} {self.declared_quantity_t} t"

    def clean(self) -> None:
        if self.waste_code_id and self.manifest_id and self.waste_code.waste_class != self.manifest.waste_class:
            raise ValidationError({"waste_code": _("This code does not belong to the manifest's waste class.")})


class ManifestAction(models.TextChoices):
    """The steps the signature trail records: the actions of the manifest workflow (transfers.rules)."""

    SUBMIT = "submit", _("Signed and submitted")
    # The step in the trail (起运), not the time field of the same words on the detail page.
    PICKUP = "pickup", pgettext_lazy("signature step", "Picked up")
    RECEIVE = "receive", _("Received")
    TREAT = "treat", _("Treatment recorded")
    CANCEL = "cancel", _("Cancelled")
    REJECT = "reject", _("Load rejected")
    REVISION_PROPOSED = "revision_proposed", _("Revision proposed")
    REVISION_APPROVED = "revision_approved", _("Revision approved")
    REVISION_REFUSED = "revision_refused", _("Revision refused")


class ManifestEvent(models.Model):
    """The signature and status trail. Immutable: rows are only ever inserted. On PostgreSQL the table is
    partitioned by year of `at` (wasteparks/partitions.py)."""

    manifest = models.ForeignKey(Manifest, models.PROTECT, related_name="events", verbose_name=_("manifest"))
    action = models.CharField(_("action"), max_length=24, choices=ManifestAction.choices)
    from_status = models.CharField(_("from status"), max_length=12, choices=ManifestStatus.choices)
    to_status = models.CharField(_("to status"), max_length=12, choices=ManifestStatus.choices)
    actor = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("actor"))
    # A legal record names its signer as they were named when they signed: a later change of the
    # account's name must not rewrite who signed a manifest.
    signer_name = models.CharField(_("signer's name"), max_length=100, blank=True)
    acting_enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="+", verbose_name=_("acting for enterprise")
    )
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    role = models.CharField(_("role"), max_length=10, choices=EnterpriseRole.choices)
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=3, choices=Source.choices, default=Source.WEB)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("manifest signature")
        verbose_name_plural = _("manifest signatures")

    def __str__(self) -> str:
        return f"{self.manifest} {self.from_status} → {self.to_status} ({self.action})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The signature trail cannot be changed."))
        if not self.signer_name:
            self.signer_name = self.actor.get_full_name()[:100]
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The signature trail cannot be changed."))


# --- Revisions ------------------------------------------------------------------------------------


class RevisionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved and applied")
    REFUSED = "refused", _("Refused")


class RevisionRequest(Timestamped):
    """A correction of a signed manifest proposed by one party for the others to approve.

    `changes` and `previous` hold the new and the old values, as {"manifest": {field: value},
    "lines": {line_no: {field: value}}}; the manifest's and lines' history keep both versions too.
    """

    manifest = models.ForeignKey(Manifest, models.PROTECT, related_name="revisions", verbose_name=_("manifest"))
    proposed_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("proposed by"))
    proposing_enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="+", verbose_name=_("proposing enterprise")
    )
    proposing_party = models.CharField(_("proposing party"), max_length=10, choices=Party.choices)
    changes = models.JSONField(_("changes"))
    previous = models.JSONField(_("previous values"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=RevisionStatus.choices, default=RevisionStatus.PENDING, db_index=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = querysets.RevisionRequestQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("revision request")
        verbose_name_plural = _("revision requests")
        constraints = [
            models.UniqueConstraint(
                fields=["manifest"],
                condition=Q(status=RevisionStatus.PENDING),
                name="one_pending_revision_per_manifest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.manifest} revision {self.pk} ({self.status})"


class RevisionDecision(models.Model):
    """One other party's answer to a revision request."""

    APPROVE = "approve"
    REFUSE = "refuse"
    DECISIONS = [(APPROVE, _("Approve")), (REFUSE, _("Refuse"))]

    revision = models.ForeignKey(
        RevisionRequest, models.CASCADE, related_name="decisions", verbose_name=_("revision request")
    )
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="+", verbose_name=_("enterprise"))
    decided_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("decided by"))
    decision = models.CharField(_("decision"), max_length=8, choices=DECISIONS)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("revision decision")
        verbose_name_plural = _("revision decisions")
        constraints = [models.UniqueConstraint(fields=["revision", "party"], name="one_decision_per_party")]

    def __str__(self) -> str:
        return f"{self.revision_id} {self.party}: {self.decision}"


# --- Numbering ------------------------------------------------------------------------------------


class ManifestSequence(models.Model):
    """The last serial used per city and year; numbers come from an atomic upsert (transfers.numbering)."""

    city_code = models.CharField(_("city code"), max_length=4)
    year = models.PositiveSmallIntegerField(_("year"))
    last_serial = models.PositiveIntegerField(_("last serial"), default=0)

    class Meta:
        verbose_name = _("manifest number sequence")
        verbose_name_plural = _("manifest number sequences")
        constraints = [
            models.UniqueConstraint(fields=["city_code", "year"], name="one_sequence_per_city_and_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.city_code}: {self.last_serial}"


# --- Labelled containers (一物一码) ------------------------------------------------------------------


class ContainerState(models.TextChoices):
    STORED = "stored", _("In storage")
    ON_MANIFEST = "on_manifest", _("Loaded on a manifest")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")


class ScanStep(models.TextChoices):
    STORAGE_IN = "storage_in", _("Storage in")
    STORAGE_OUT = "storage_out", _("Storage out")
    PICKUP = "pickup", pgettext_lazy("container scan step", "Pickup")
    RECEIPT = "receipt", pgettext_lazy("container scan step", "Receipt")


class ScanOutcome(models.TextChoices):
    OK = "ok", _("As recorded")
    DISCREPANCY = "discrepancy", _("Discrepancy")


class Container(Timestamped):
    """One labelled container or package of hazardous waste, cut from a ledger inflow at its store.

    `code` is what the label prints and the QR code carries: random, so a label cannot be forged by counting
    on from another one. Where it is now is the state with the facility (in storage) or the manifest line
    (loaded, in transit, received).
    """

    code = models.CharField(_("container id"), max_length=16, unique=True)
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="containers", verbose_name=_("generator enterprise")
    )
    # Held by a constraint trigger, not a foreign key: the ledger is partitioned (see LedgerEntry.reverses).
    ledger_entry = models.ForeignKey(
        LedgerEntry, models.PROTECT, related_name="containers", verbose_name=_("ledger entry"), db_constraint=False
    )
    facility = models.ForeignKey(Facility, models.PROTECT, related_name="containers", verbose_name=_("facility"))
    waste_code = models.ForeignKey(WasteCode, models.PROTECT, related_name="+", verbose_name=_("waste code"))
    quantity_t = tonnes_field(_("weight (t)"))
    packaging_type = models.CharField(_("packaging"), max_length=8, choices=PackagingType.choices)
    physical_form = models.CharField(_("physical form"), max_length=12, choices=PhysicalForm.choices)
    main_components = models.CharField(_("main components"), max_length=200, blank=True)
    generated_on = models.DateField(_("date of generation"))
    state = models.CharField(
        _("state"), max_length=12, choices=ContainerState.choices, default=ContainerState.STORED, db_index=True
    )
    manifest_line = models.ForeignKey(
        ManifestLine,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="containers",
        verbose_name=_("manifest line"),
    )
    labelled_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("labelled by"))

    objects = querysets.ContainerQuerySet.as_manager()

    class Meta(Timestamped.Meta):
        ordering = ["enterprise_id", "code"]
        verbose_name = _("container")
        verbose_name_plural = _("containers")
        constraints = [
            models.CheckConstraint(condition=Q(quantity_t__gt=0), name="container_weight_positive"),
            models.CheckConstraint(
                condition=Q(state=ContainerState.STORED) | Q(manifest_line__isnull=False),
                name="container_off_store_has_manifest_line",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ContainerScan(models.Model):
    """One scan of a container's label at one step. Only ever inserted: the log is the container's history."""

    container = models.ForeignKey(Container, models.PROTECT, related_name="scans", verbose_name=_("container"))
    step = models.CharField(_("step"), max_length=12, choices=ScanStep.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ScanOutcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    manifest = models.ForeignKey(
        Manifest, models.PROTECT, null=True, blank=True, related_name="container_scans", verbose_name=_("manifest")
    )
    facility = models.ForeignKey(
        Facility, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("facility")
    )
    actor = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("scanned by"))
    acting_enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="+", verbose_name=_("acting for enterprise")
    )
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("container scan")
        verbose_name_plural = _("container scans")

    def __str__(self) -> str:
        return f"{self.container_id} {self.step} {self.outcome}"
