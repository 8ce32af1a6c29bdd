"""Corrections of a signed manifest: one party proposes, every other party approves or refuses.

A signature freezes what its signer answers for, so nothing signed is edited in place. Approved changes
are applied in the transaction of the last approval; the request keeps the old and new values and the
manifest's history keeps both versions.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from registry.models import Enterprise, User
from registry.tenancy import scope_of
from wasteparks.bounds import PLAN
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed

from .. import rules
from ..models import Manifest as ManifestModel
from ..models import (
    ManifestAction,
    ManifestEvent,
    ManifestLine,
    ManifestStatus,
    PackagingType,
    Party,
    PhysicalForm,
    RevisionDecision,
    RevisionRequest,
    RevisionStatus,
    Source,
)
from ..signals import send_manifest_changed
from .common import acting_role, lock_manifest


def _invalid(message: str, field: str) -> RuleViolation:
    return RuleViolation(message, code="invalid_revision", fields={field: [message]})


def _clean_value(name: str, value, field: str):
    """Validate one proposed value and return it in its JSON form."""
    if name == "vehicle_plate":
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > 16:
            raise _invalid(_("A vehicle plate has 1 to 16 characters."), field)
        return value.strip()
    if name == "planned_date":
        try:
            parsed = value if isinstance(value, date) else parse_date(str(value))
        except ValueError:  # well formed but not a day (2025-02-30)
            parsed = None
        if parsed is None:
            raise _invalid(_("Use a date such as 2025-03-01."), field)
        problem = PLAN.problem(parsed)
        if problem:
            raise _invalid(problem, field)
        return parsed.isoformat()
    if name == "packaging_type":
        if value not in PackagingType.values:
            raise _invalid(_("Choose one of %(values)s.") % {"values": ", ".join(PackagingType.values)}, field)
        return value
    if name == "physical_form":
        if value not in PhysicalForm.values:
            raise _invalid(_("Choose one of %(values)s.") % {"values": ", ".join(PhysicalForm.values)}, field)
        return value
    if name == "packaging_count":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _invalid(_("The number of packages is a whole number of at least 1."), field)
        return value
    if name in ("hazard", "batch_code"):
        limit = 20 if name == "hazard" else 64
        if not isinstance(value, str) or len(value) > limit:
            raise _invalid(_("At most %(limit)s characters.") % {"limit": limit}, field)
        return value.strip()
    if name == "declared_quantity_t":
        return str(rules.check_quantity(value, field=field))
    raise _invalid(_("%(name)s cannot be revised.") % {"name": name}, field)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _party_of(actor: User, manifest: ManifestModel, party: str | None) -> tuple[str, Enterprise, str]:
    """The party `actor` acts for (the one named, or the first it may sign for) and its role."""
    candidates = [party] if party else [Party.CONSIGNOR, Party.CARRIER, Party.RECEIVER]
    scope = scope_of(actor)
    for name in candidates:
        enterprise = manifest.party_enterprise(name)
        if not scope.read_only and scope.roles_on(enterprise.pk) & rules.PARTY_ROLES[name]:
            role = acting_role(actor=actor, enterprise=enterprise, allowed=rules.PARTY_ROLES[name], action="revise")
            return name, enterprise, role
    raise NotPermitted(_("Only a signing member of one of the manifest's parties may do this."), code="wrong_party")


def _log(*, manifest, action, actor, enterprise, party, role, comment, source, at) -> None:
    ManifestEvent.objects.create(
        manifest=manifest,
        action=action,
        from_status=manifest.status,
        to_status=manifest.status,
        actor=actor,
        acting_enterprise=enterprise,
        party=party,
        role=role,
        comment=comment,
        source=source,
        at=at,
    )


def _other_parties(manifest: ManifestModel, proposing_enterprise_id: int) -> list[str]:
    """Parties that must approve: every party held by another enterprise than the proposer."""
    return [name for name in Party.values if manifest.party_id(name) != proposing_enterprise_id]


@transaction.atomic
def propose_revision(
    *,
    manifest: ManifestModel,
    actor: User,
    changes: dict,
    reason: str,
    party: str | None = None,
    source: str = Source.WEB,
) -> RevisionRequest:
    """`changes` is {"manifest": {field: value}, "lines": {line_no: {field: value}}}."""
    manifest = lock_manifest(manifest)
    party, enterprise, role = _party_of(actor, manifest, party)
    rules.MANIFEST_FLOW.check(ManifestAction.REVISION_PROPOSED, manifest.status)
    if not reason.strip():
        raise RuleViolation(
            _("Give the reason for the revision."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    if not isinstance(changes, dict) or set(changes) - {"manifest", "lines"}:
        raise _invalid('Changes are {"manifest": {...}, "lines": {"<line>": {...}}}.', "changes")
    if manifest.revisions.filter(status=RevisionStatus.PENDING).exists():
        raise TransitionNotAllowed(
            _("Another revision of this manifest is awaiting approval."), code="revision_pending"
        )

    new: dict = {"manifest": {}, "lines": {}}
    old: dict = {"manifest": {}, "lines": {}}
    for name, value in (changes.get("manifest") or {}).items():
        if name not in rules.REVISABLE_MANIFEST_FIELDS:
            raise _invalid(_("%(name)s cannot be revised.") % {"name": name}, f"manifest.{name}")
        new["manifest"][name] = _clean_value(name, value, f"manifest.{name}")
        old["manifest"][name] = _json(getattr(manifest, name))
    lines = {str(line.line_no): line for line in manifest.lines.all()}
    for line_no, fields in (changes.get("lines") or {}).items():
        line = lines.get(str(line_no))
        if line is None or not isinstance(fields, dict):
            raise _invalid(_("Line %(line)s is not on this manifest.") % {"line": line_no}, f"lines.{line_no}")
        for name, value in fields.items():
            field = f"lines.{line_no}.{name}"
            if name not in rules.REVISABLE_LINE_FIELDS:
                raise _invalid(_("%(name)s cannot be revised.") % {"name": name}, field)
            if name in rules.LINE_FIELDS_FIXED_AFTER_PICKUP and manifest.status != ManifestStatus.SUBMITTED:
                raise RuleViolation(
                    _("%(name)s has already moved stock; correct it with a ledger entry, not a revision.")
                    % {"name": name},
                    code="field_fixed_after_pickup",
                    fields={field: [_("Fixed after pickup.")]},
                )
            new["lines"].setdefault(str(line_no), {})[name] = _clean_value(name, value, field)
            old["lines"].setdefault(str(line_no), {})[name] = _json(getattr(line, name))
    if not new["manifest"] and not new["lines"]:
        raise _invalid(_("Name at least one field to change."), "changes")

    now = timezone.now()
    revision = RevisionRequest.objects.create(
        manifest=manifest,
        proposed_by=actor,
        proposing_enterprise=enterprise,
        proposing_party=party,
        changes=new,
        previous=old,
        reason=reason.strip(),
    )
    _log(
        manifest=manifest,
        action=ManifestAction.REVISION_PROPOSED,
        actor=actor,
        enterprise=enterprise,
        party=party,
        role=role,
        comment=reason.strip(),
        source=source,
        at=now,
    )
    if not _other_parties(manifest, enterprise.pk):
        _apply(revision, manifest, now)
    send_manifest_changed(manifest_id=manifest.pk, action=ManifestAction.REVISION_PROPOSED)
    return revision


@transaction.atomic
def decide_revision(
    *,
    revision: RevisionRequest,
    actor: User,
    approve: bool,
    comment: str = "",
    party: str | None = None,
    source: str = Source.WEB,
) -> RevisionRequest:
    """Another party approves or refuses. One refusal refuses; the last approval applies the changes."""
    # Lock order: manifest, then revision, as everywhere else the manifest is locked first.
    manifest = lock_manifest(revision.manifest)
    revision = RevisionRequest.objects.select_for_update().get(pk=revision.pk)
    required = _other_parties(manifest, revision.proposing_enterprise_id)
    decided = set(revision.decisions.values_list("party", flat=True))
    open_parties = [name for name in required if name not in decided]
    if party is None:
        scope = scope_of(actor)
        party = next(
            (
                name
                for name in open_parties
                if not scope.read_only and scope.roles_on(manifest.party_id(name)) & rules.PARTY_ROLES[name]
            ),
            None,
        )
    if party is None or party not in required:
        raise NotPermitted(
            _("Only a signing member of another party than the proposer may decide this revision."),
            code="wrong_party",
        )
    enterprise = manifest.party_enterprise(party)
    role = acting_role(actor=actor, enterprise=enterprise, allowed=rules.PARTY_ROLES[party], action="decide")
    action = ManifestAction.REVISION_APPROVED if approve else ManifestAction.REVISION_REFUSED
    rules.REVISION_FLOW.check(action, revision.status)
    if party in decided:
        raise TransitionNotAllowed(
            _("The %(party)s has already decided on this revision.") % {"party": party}, code="already_decided"
        )
    now = timezone.now()
    RevisionDecision.objects.create(
        revision=revision,
        party=party,
        enterprise=enterprise,
        decided_by=actor,
        decision=RevisionDecision.APPROVE if approve else RevisionDecision.REFUSE,
        comment=comment.strip(),
        at=now,
    )
    _log(
        manifest=manifest,
        action=action,
        actor=actor,
        enterprise=enterprise,
        party=party,
        role=role,
        comment=comment.strip(),
        source=source,
        at=now,
    )
    if not approve:
        revision.status = RevisionStatus.REFUSED
        revision.decided_at = now
        revision.save(update_fields=["status", "decided_at"])
    elif set(required) <= decided | {party}:
        _apply(revision, manifest, now)
    send_manifest_changed(manifest_id=manifest.pk, action=action)
    return revision


def _apply(revision: RevisionRequest, manifest: ManifestModel, now) -> None:
    if "declared_quantity_t" in str(revision.changes.get("lines")) and manifest.status != ManifestStatus.SUBMITTED:
        raise TransitionNotAllowed(
            _("The load was picked up while this revision waited; declared quantities can no longer change."),
            code="revision_outdated",
        )
    manifest_changes = revision.changes.get("manifest") or {}
    for name, value in manifest_changes.items():
        setattr(manifest, name, parse_date(value) if name == "planned_date" else value)
    if manifest_changes:
        manifest._change_reason = f"revision {revision.pk}: {revision.reason}"
        manifest.save(update_fields=list(manifest_changes))
    for line in ManifestLine.objects.filter(manifest=manifest, line_no__in=[int(n) for n in revision.changes["lines"]]):
        fields = revision.changes["lines"][str(line.line_no)]
        for name, value in fields.items():
            setattr(line, name, Decimal(value) if name == "declared_quantity_t" else value)
        line._change_reason = f"revision {revision.pk}: {revision.reason}"
        line.save(update_fields=list(fields))
    if not manifest_changes:
        manifest.save(update_fields=["updated_at"])  # a mirror must see the manifest changed
    revision.status = RevisionStatus.APPROVED
    revision.decided_at = now
    revision.save(update_fields=["status", "decided_at"])
