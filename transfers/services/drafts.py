"""Preparing a manifest: the consignor creates a draft and edits it until it signs (services.manifests).

Nothing is signed and no number is drawn yet; the rules of the manifest's own data (parties, lines,
quantities) are checked on every save, the permits only at the signature.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from registry.models import Enterprise, Facility, TransferApproval, User, WasteCode
from wasteparks.bounds import PLAN
from wasteparks.errors import RuleViolation, TransitionNotAllowed

from .. import rules
from ..models import Manifest, ManifestLine, ManifestStatus, PackagingType, Party, PhysicalForm
from ..signals import send_manifest_changed
from .common import acting_role, is_cross_province, lock_manifest


@dataclass(frozen=True)
class LineInput:
    waste_code: WasteCode
    source_facility: Facility
    declared_quantity_t: Decimal
    packaging_type: str = PackagingType.DRUM
    packaging_count: int = 1
    physical_form: str = PhysicalForm.SOLID
    hazard: str = ""
    batch_code: str = ""


def _write_lines(manifest: Manifest, lines: list[LineInput]) -> None:
    # With history, so the first version of each line is on record before any revision changes it.
    bulk_create_with_history(
        [
            ManifestLine(
                manifest=manifest,
                line_no=number,
                waste_code=line.waste_code,
                source_facility=line.source_facility,
                declared_quantity_t=Decimal(str(line.declared_quantity_t)),
                packaging_type=line.packaging_type,
                packaging_count=line.packaging_count,
                physical_form=line.physical_form,
                hazard=line.hazard or line.waste_code.hazard,
                batch_code=line.batch_code,
            )
            for number, line in enumerate(lines, start=1)
        ],
        ManifestLine,
    )


@transaction.atomic
def create_manifest(
    *,
    actor: User,
    consignor: Enterprise,
    carrier: Enterprise,
    receiver: Enterprise,
    waste_class: str,
    purpose: str,
    planned_date: date,
    lines: list[LineInput],
    vehicle_plate: str = "",
    approval: TransferApproval | None = None,
    emergency_measures: str = "",
) -> Manifest:
    """The consignor prepares a draft. Nothing is signed and no number is drawn yet."""
    acting_role(actor=actor, enterprise=consignor, allowed=rules.PARTY_ROLES[Party.CONSIGNOR], action="create")
    rules.check_parties(consignor=consignor, carrier=carrier, receiver=receiver, choosing=True)
    rules.check_purpose(purpose)
    rules.check_in_window(planned_date, PLAN, field="planned_date")
    rules.check_lines(lines=lines, waste_class=waste_class, consignor=consignor)
    manifest = Manifest.objects.create(
        waste_class=waste_class,
        consignor=consignor,
        carrier=carrier,
        receiver=receiver,
        purpose=purpose,
        planned_date=planned_date,
        vehicle_plate=vehicle_plate.strip(),
        emergency_measures=emergency_measures.strip(),
        approval=approval,
        is_cross_province=is_cross_province(consignor, receiver),
        created_by=actor,
    )
    _write_lines(manifest, lines)
    send_manifest_changed(manifest_id=manifest.pk, action="create")
    return manifest


DRAFT_FIELDS = frozenset(
    {"carrier", "receiver", "waste_class", "purpose", "planned_date", "vehicle_plate", "approval", "emergency_measures"}
)


@transaction.atomic
def update_draft(*, manifest: Manifest, actor: User, changes: dict, lines: list[LineInput] | None = None) -> Manifest:
    """Edit a draft: any of DRAFT_FIELDS, and optionally replace all its lines."""
    manifest = lock_manifest(manifest)
    acting_role(actor=actor, enterprise=manifest.consignor, allowed=rules.PARTY_ROLES[Party.CONSIGNOR], action="edit")
    if manifest.status != ManifestStatus.DRAFT:
        raise TransitionNotAllowed(
            _("Only a draft can be edited; this manifest is %(status)s. Propose a revision.")
            % {"status": manifest.get_status_display()},
            code="not_a_draft",
        )
    unknown = set(changes) - DRAFT_FIELDS
    if unknown:
        raise RuleViolation(
            _("These fields cannot be edited: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="invalid_field",
        )
    for name, value in changes.items():
        setattr(manifest, name, value.strip() if isinstance(value, str) else value)
    rules.check_parties(
        consignor=manifest.consignor, carrier=manifest.carrier, receiver=manifest.receiver, choosing=True
    )
    rules.check_purpose(manifest.purpose)
    if "planned_date" in changes:
        rules.check_in_window(manifest.planned_date, PLAN, field="planned_date")
    if lines is not None:
        rules.check_lines(lines=lines, waste_class=manifest.waste_class, consignor=manifest.consignor)
        manifest.lines.all().delete()
        _write_lines(manifest, lines)
    else:
        current = [
            LineInput(
                waste_code=line.waste_code,
                source_facility=line.source_facility,
                declared_quantity_t=line.declared_quantity_t,
            )
            for line in manifest.lines.select_related("waste_code", "source_facility")
        ]
        rules.check_lines(lines=current, waste_class=manifest.waste_class, consignor=manifest.consignor)
    manifest.is_cross_province = is_cross_province(manifest.consignor, manifest.receiver)
    manifest.save(update_fields=[*changes, "is_cross_province"])
    send_manifest_changed(manifest_id=manifest.pk, action="edit")
    return manifest
