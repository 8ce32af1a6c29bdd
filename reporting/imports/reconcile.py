"""Reconciling a park's imported platform records with its own books, for one period and the waste
battery codes only (batteries.WASTE_CODES).

- A platform transfer naming a manifest is compared with that manifest's battery lines (declared tonnes).
- Platform collections are compared, per enterprise, with the enterprise's generated entries of the code
  in the ledger over the period: a collection point books what it collects as waste arising at its site.
- A shipped manifest of the code from the park in the period that no platform record names is "in our
  ledger only"; a platform transfer without a manifest is "on the platform only".

"Differs" means further apart than the park's quantity tolerance (the threshold QUANTITY_DISCREPANCY uses),
relative to our figure.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, Park
from transfers.models import LedgerEntry, LedgerStage, Manifest, ManifestLine
from wasteparks.periods import Period

from ..models.imports import ImportedRecord, RecordKind
from ..models.thresholds import ThresholdKey
from ..warnings.base import SHIPPED_STATUSES
from ..warnings.thresholds import thresholds_for
from .batteries import WASTE_CODES

ZERO = Decimal("0")
MATCHED = "matched"
DIFFERS = "differs"
PLATFORM_ONLY = "platform_only"
LEDGER_ONLY = "ledger_only"
LABELS = {
    MATCHED: _("Matched"),
    DIFFERS: _("Quantity differs beyond tolerance"),
    PLATFORM_ONLY: _("On the platform only"),
    LEDGER_ONLY: _("In our records only"),
}


@dataclass
class Difference:
    outcome: str
    enterprise: Enterprise
    kind: str  # RecordKind
    manifest_number: str
    platform_t: Decimal
    ours_t: Decimal
    record_ids: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(LABELS[self.outcome])


@dataclass
class Reconciliation:
    period: Period
    tolerance: Decimal
    lines: list[Difference]

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def differences(self) -> list[Difference]:
        return [line for line in self.lines if line.outcome != MATCHED]


def reconcile(*, park: Park, period: Period) -> Reconciliation:
    tolerance = Decimal(thresholds_for(park)[ThresholdKey.QUANTITY_TOLERANCE])
    records = list(
        ImportedRecord.objects.filter(
            park=park,
            waste_code__code__in=WASTE_CODES,
            occurred_on__gte=period.first_day,
            occurred_on__lte=period.last_day,
        )
        .select_related("enterprise", "manifest")
        .order_by("occurred_on", "source_record_id")
    )
    lines: list[Difference] = []

    def judge(platform: Decimal, ours: Decimal) -> str:
        return MATCHED if abs(platform - ours) <= ours * tolerance else DIFFERS

    # Transfers: by manifest.
    by_manifest: dict[int, list[ImportedRecord]] = defaultdict(list)
    for record in records:
        if record.kind == RecordKind.TRANSFER:
            if record.manifest_id is None:
                lines.append(_line(PLATFORM_ONLY, [record], record.quantity_t, ZERO))
            else:
                by_manifest[record.manifest_id].append(record)
    shipped = (
        ManifestLine.objects.filter(waste_code__code__in=WASTE_CODES)
        .filter(manifest__consignor__park=park, manifest__status__in=SHIPPED_STATUSES)
        .filter(manifest__picked_up_at__gte=period.start, manifest__picked_up_at__lt=period.end)
        .values_list("manifest_id")
    )
    ours_by_manifest = dict(
        ManifestLine.objects.filter(waste_code__code__in=WASTE_CODES)
        .filter(manifest_id__in=set(by_manifest) | {pk for (pk,) in shipped})
        .values_list("manifest_id")
        .annotate(total=Sum("declared_quantity_t"))
    )
    for manifest_id, group in by_manifest.items():
        platform = sum((r.quantity_t for r in group), ZERO)
        ours = ours_by_manifest.get(manifest_id, ZERO)
        lines.append(_line(judge(platform, ours), group, platform, ours))
    unnamed = [pk for pk in ours_by_manifest if pk not in by_manifest]
    for manifest in Manifest.objects.filter(pk__in=unnamed).select_related("consignor").order_by("number"):
        lines.append(
            Difference(LEDGER_ONLY, manifest.consignor, RecordKind.TRANSFER, manifest.number or "", ZERO,
                       ours_by_manifest[manifest.pk])
        )  # fmt: skip

    # Collections: per enterprise against its generated entries.
    collected: dict[int, list[ImportedRecord]] = defaultdict(list)
    for record in records:
        if record.kind == RecordKind.COLLECTION:
            collected[record.enterprise_id].append(record)
    generated = dict(
        LedgerEntry.objects.filter(
            enterprise__park=park,
            waste_code__code__in=WASTE_CODES,
            stage=LedgerStage.GENERATED,
            occurred_at__gte=period.start,
            occurred_at__lt=period.end,
        )
        .values_list("enterprise_id")
        .annotate(total=Sum("quantity_t"))
    )
    for enterprise_id, group in collected.items():
        platform = sum((r.quantity_t for r in group), ZERO)
        ours = generated.get(enterprise_id, ZERO)
        outcome = PLATFORM_ONLY if ours == ZERO else judge(platform, ours)
        lines.append(_line(outcome, group, platform, ours, kind=RecordKind.COLLECTION))
    only_ours = {pk: total for pk, total in generated.items() if pk not in collected and total}
    for enterprise in Enterprise.objects.filter(pk__in=only_ours).order_by("name"):
        lines.append(Difference(LEDGER_ONLY, enterprise, RecordKind.COLLECTION, "", ZERO, only_ours[enterprise.pk]))
    order = {LEDGER_ONLY: 0, PLATFORM_ONLY: 1, DIFFERS: 2, MATCHED: 3}
    lines.sort(key=lambda line: (order[line.outcome], line.enterprise.name, line.manifest_number))
    return Reconciliation(period=period, tolerance=tolerance, lines=lines)


def _line(outcome: str, group: list[ImportedRecord], platform: Decimal, ours: Decimal, *, kind: str = "") -> Difference:
    first = group[0]
    return Difference(
        outcome=outcome,
        enterprise=first.enterprise,
        kind=kind or first.kind,
        manifest_number=first.manifest.number if first.manifest and first.manifest.number else "",
        platform_t=platform,
        ours_t=ours,
        record_ids=[r.source_record_id for r in group],
    )
