"""Labelled containers (一物一码): labelling a ledger inflow as containers, loading them on a manifest line,
and the scan at each step that checks a container is where the records say.

A scan that does not match the records is still written, with outcome "discrepancy" and the reason: the log
is what the officer reads afterwards. A discrepancy at pickup or receipt is a discrepancy of the manifest,
recorded as the receipt records one (Manifest.has_discrepancy, ManifestLine.is_discrepancy), not in a second
place.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import EnterpriseRole, Facility, User
from wasteparks.errors import RuleViolation, TransitionNotAllowed

from ..models import (
    HALF_LAST_PLACE,
    Container,
    ContainerScan,
    ContainerState,
    LedgerEntry,
    LedgerStage,
    Manifest,
    ManifestLine,
    ManifestStatus,
    ScanOutcome,
    ScanStep,
)
from .common import acting_role, lock_manifest

# Crockford's base32 without I, L, O and U: read aloud or typed from a worn label without confusing 1/I, 0/O.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "HW"
RANDOM_LENGTH = 10  # 50 random bits: a label cannot be had by guessing
CODE_PATTERN = re.compile(rf"^{PREFIX}[{ALPHABET}]{{{RANDOM_LENGTH}}}$")
LABELLED_STAGES = frozenset({LedgerStage.GENERATED, LedgerStage.STORED_IN})
STORE_ROLES = frozenset({EnterpriseRole.ADMIN, EnterpriseRole.PREPARER})
PICKUP_ROLES = frozenset({EnterpriseRole.ADMIN, EnterpriseRole.DRIVER})
# Where a container must be for each step to be as recorded.
EXPECTED_STATES: dict[str, frozenset[str]] = {
    ScanStep.STORAGE_IN: frozenset({ContainerState.STORED}),
    ScanStep.STORAGE_OUT: frozenset({ContainerState.STORED, ContainerState.ON_MANIFEST}),
    ScanStep.PICKUP: frozenset({ContainerState.ON_MANIFEST}),
    ScanStep.RECEIPT: frozenset({ContainerState.ON_MANIFEST, ContainerState.IN_TRANSIT}),
}
MANIFEST_STEPS = frozenset({ScanStep.PICKUP, ScanStep.RECEIPT})
SCANNABLE_MANIFEST: dict[str, frozenset[str]] = {
    ScanStep.PICKUP: frozenset({ManifestStatus.SUBMITTED, ManifestStatus.IN_TRANSIT}),
    ScanStep.RECEIPT: frozenset({ManifestStatus.IN_TRANSIT}),
}
STATE_AFTER: dict[str, str] = {ScanStep.PICKUP: ContainerState.IN_TRANSIT, ScanStep.RECEIPT: ContainerState.RECEIVED}


def new_code() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _i in range(RANDOM_LENGTH))


def normalize_code(raw: str) -> str:
    """The id as typed, pasted or read by a camera, upper-cased and without spaces or dashes; or
    RuleViolation(malformed_container_id)."""
    code = re.sub(r"[\s-]", "", raw or "").upper()
    if not CODE_PATTERN.match(code):
        raise RuleViolation(
            _("This is not a container id: it reads HW followed by ten letters or digits."),
            code="malformed_container_id",
            fields={"code": [_("Not a container id.")]},
        )
    return code


def _check_weights(*, weights: list[Decimal], total: Decimal, field: str) -> None:
    if not weights or any(weight <= 0 for weight in weights):
        raise RuleViolation(_("Every container weighs more than zero."), code="container_weight", fields={field: []})
    if abs(sum(weights, Decimal(0)) - total) >= HALF_LAST_PLACE:
        raise RuleViolation(
            _("The containers weigh %(sum)s t together, not the %(total)s t recorded.")
            % {"sum": sum(weights, Decimal(0)), "total": total},
            code="container_weights_do_not_sum",
            fields={field: [_("The weights must sum to %(total)s t.") % {"total": total}]},
        )


@transaction.atomic
def label_containers(
    *,
    entry: LedgerEntry,
    actor: User,
    weights: list[Decimal],
    packaging_type: str,
    physical_form: str,
    main_components: str = "",
) -> list[Container]:
    """The enterprise labels a generated or stored-in ledger entry as containers whose weights sum to it."""
    acting_role(actor=actor, enterprise=entry.enterprise, allowed=STORE_ROLES, action=_("Label containers"))
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.stage not in LABELLED_STAGES or entry.reverses_id is not None or hasattr(entry, "reversed_by"):
        raise RuleViolation(
            _("Only waste generated or stored in, and not reversed, is labelled."), code="entry_not_labellable"
        )
    if entry.containers.exists():
        raise RuleViolation(_("This ledger entry is already labelled."), code="entry_already_labelled")
    _check_weights(weights=weights, total=entry.quantity_t, field="weights")
    return Container.objects.bulk_create(
        [
            Container(
                code=new_code(),
                enterprise=entry.enterprise,
                ledger_entry=entry,
                facility=entry.facility,
                waste_code=entry.waste_code,
                quantity_t=weight,
                packaging_type=packaging_type,
                physical_form=physical_form,
                main_components=main_components.strip(),
                generated_on=timezone.localdate(entry.stock_since or entry.occurred_at),
                labelled_by=actor,
            )
            for weight in weights
        ]
    )


@transaction.atomic
def load_containers(*, line: ManifestLine, actor: User, codes: list[str]) -> list[Container]:
    """The consignor makes a draft or submitted manifest line of stored containers of its code and store,
    whose weights sum to the declared quantity; containers loaded on the line before are put back."""
    manifest = lock_manifest(line.manifest)
    acting_role(actor=actor, enterprise=manifest.consignor, allowed=STORE_ROLES, action=_("Load containers"))
    if manifest.status not in (ManifestStatus.DRAFT, ManifestStatus.SUBMITTED):
        raise TransitionNotAllowed(_("Containers are loaded before pickup."), code="containers_after_pickup")
    wanted = [normalize_code(code) for code in codes]
    containers = list(
        Container.objects.select_for_update().filter(
            code__in=wanted,
            enterprise=manifest.consignor,
            waste_code=line.waste_code,
            facility=line.source_facility,
        )
    )
    found = {container.code for container in containers}
    missing = [code for code in wanted if code not in found]
    busy = [c.code for c in containers if c.manifest_line_id not in (None, line.pk)]
    if missing or busy or len(set(wanted)) != len(wanted):
        raise RuleViolation(
            _("Not containers of this line's waste code in its store, free to load: %(codes)s")
            % {"codes": ", ".join(missing + busy) or _("a container given twice")},
            code="containers_not_loadable",
            fields={"codes": []},
        )
    _check_weights(weights=[c.quantity_t for c in containers], total=line.declared_quantity_t, field="codes")
    line.containers.exclude(pk__in=[c.pk for c in containers]).update(
        manifest_line=None, state=ContainerState.STORED, updated_at=timezone.now()
    )
    for container in containers:
        container.manifest_line = line
        container.state = ContainerState.ON_MANIFEST
        container.save(update_fields=["manifest_line", "state", "updated_at"])
    return containers


@dataclass(frozen=True)
class ScanResult:
    scan: ContainerScan
    container: Container

    @property
    def is_ok(self) -> bool:
        return self.scan.outcome == ScanOutcome.OK


def _find(*, code: str, actor: User, manifest: Manifest | None) -> Container:
    # At pickup and receipt the label is in the scanner's hands whatever the records say: a container of
    # another enterprise found in the load must be logged as foreign, so it is looked up by id alone. Else
    # only what the actor may see is found.
    containers = Container.objects.all() if manifest is not None else Container.objects.visible_to(actor)
    container = containers.select_for_update(of=("self",)).filter(code=code).first()
    if container is None:
        raise RuleViolation(_("No container with this id is on record."), code="unknown_container", fields={"code": []})
    return container


def _problem(*, container: Container, step: str, manifest: Manifest | None, facility: Facility | None) -> str:
    """Why the container is not where the records say for this step, or ""."""
    line = container.manifest_line
    on_manifest_id = line.manifest_id if line is not None else None
    if step in MANIFEST_STEPS and on_manifest_id != getattr(manifest, "pk", None):
        return _("Not on this manifest.")
    twice = container.scans.filter(step=step, outcome=ScanOutcome.OK)
    if step in MANIFEST_STEPS:
        twice = twice.filter(manifest=manifest)
    if twice.exists():
        return _("Scanned twice at this step.")
    if container.state not in EXPECTED_STATES[step]:
        return _("The records have it as: %(state)s.") % {"state": container.get_state_display()}
    if step in (ScanStep.STORAGE_IN, ScanStep.STORAGE_OUT) and facility and facility.pk != container.facility_id:
        return _("The records have it at %(facility)s.") % {"facility": container.facility.name}
    return ""


@transaction.atomic
def scan_container(
    *,
    code: str,
    step: str,
    actor: User,
    manifest: Manifest | None = None,
    facility: Facility | None = None,
    at: datetime | None = None,
) -> ScanResult:
    """Someone scans a label at a step: in or out of the generator's store, or at pickup or receipt of a
    manifest (which is then required). The scan is logged whatever it finds; a container of the manifest
    scanned as recorded moves on (in transit, received); at pickup or receipt anything else is a
    discrepancy of the manifest."""
    code = normalize_code(code)
    if step not in ScanStep.values:
        raise RuleViolation(_("Unknown step."), code="unknown_step", fields={"step": []})
    if step in MANIFEST_STEPS:
        if manifest is None:
            raise RuleViolation(_("Name the manifest."), code="manifest_required", fields={"manifest": []})
        manifest = lock_manifest(manifest)
        party = manifest.carrier if step == ScanStep.PICKUP else manifest.receiver
        roles = PICKUP_ROLES if step == ScanStep.PICKUP else STORE_ROLES
        acting_role(actor=actor, enterprise=party, allowed=roles, action=str(ScanStep(step).label))
        if manifest.status not in SCANNABLE_MANIFEST[step]:
            raise TransitionNotAllowed(
                _("A manifest that is %(status)s is not scanned at this step.")
                % {"status": manifest.get_status_display()},
                code="scan_not_allowed",
            )
    else:
        manifest = None
    container = _find(code=code, actor=actor, manifest=manifest)
    if manifest is None:
        party = container.enterprise
        acting_role(actor=actor, enterprise=party, allowed=STORE_ROLES, action=str(ScanStep(step).label))
    problem = _problem(container=container, step=step, manifest=manifest, facility=facility)
    scan = ContainerScan.objects.create(
        container=container,
        step=step,
        outcome=ScanOutcome.DISCREPANCY if problem else ScanOutcome.OK,
        reason=problem,
        manifest=manifest,
        facility=facility,
        actor=actor,
        acting_enterprise=party,
        at=at or timezone.now(),
    )
    if not problem and step in STATE_AFTER:
        container.state = STATE_AFTER[step]
        container.save(update_fields=["state", "updated_at"])
    if problem and manifest is not None and not manifest.has_discrepancy:
        manifest.has_discrepancy = True
        manifest.save(update_fields=["has_discrepancy", "updated_at"])
    return ScanResult(scan=scan, container=container)


def lines_missing_containers(*, manifest: Manifest) -> set[int]:
    """The ids of the manifest's lines with a labelled container not scanned as received: called by the
    receipt, which records them as discrepancies."""
    return set(
        Container.objects.filter(manifest_line__manifest=manifest)
        .exclude(state=ContainerState.RECEIVED)
        .values_list("manifest_line_id", flat=True)
    )


def has_container_discrepancy(*, manifest: Manifest) -> bool:
    """A scan at pickup or receipt found something other than the records (twice, foreign, misplaced)."""
    return manifest.container_scans.filter(outcome=ScanOutcome.DISCREPANCY).exists()
