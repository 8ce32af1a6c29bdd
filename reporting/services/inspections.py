"""Inspections: recording one and recording its rectification. Officers of the enterprise's park (or
province) only; the park is derived from the enterprise, never chosen."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Enterprise, User
from registry.tenancy import scope_of
from wasteparks.bounds import DEADLINE, EVENT
from wasteparks.errors import RuleViolation, TransitionNotAllowed

from ..models.inspections import Inspection, InspectionStatus
from ..models.warnings import Warning


def _check_officer(actor: User, enterprise: Enterprise) -> None:
    scope_of(actor).require_officer_of(
        enterprise.park, _("Only the officers of the enterprise's park may record its inspections.")
    )


@transaction.atomic
def record_inspection(
    *,
    actor: User,
    enterprise: Enterprise,
    date: date,
    kind: str,
    findings: str,
    required_rectification: str = "",
    rectification_deadline: date | None = None,
    warnings: list[Warning] | None = None,
) -> Inspection:
    """Record what an officer found, and link the warnings it followed up (of the same enterprise or, for
    park-wide warnings, the same park)."""
    enterprise = Enterprise.objects.select_related("park__division").get(pk=enterprise.pk)
    _check_officer(actor, enterprise)
    today = timezone.localdate()
    if date > today:
        raise RuleViolation(
            _("An inspection cannot be recorded for a future date."),
            code="inspection_in_future",
            fields={"date": [_("Choose today or an earlier day.")]},
        )
    # Date windows (wasteparks.bounds): the visit has happened (an event, and not after today, above);
    # its deadline may be set up to five years ahead.
    out_of_window = {
        name: [problem]
        for name, window, value in (("date", EVENT, date), ("rectification_deadline", DEADLINE, rectification_deadline))
        if (problem := window.problem(value))
    }
    if out_of_window:
        raise RuleViolation(
            _("The inspection cannot be recorded with these dates: %(problems)s")
            % {"problems": " ".join(problem for problems in out_of_window.values() for problem in problems)},
            code="out_of_window",
            fields=out_of_window,
        )
    if rectification_deadline is not None and rectification_deadline < date:
        raise RuleViolation(
            _("The rectification deadline cannot be before the inspection."),
            code="deadline_before_inspection",
            fields={"rectification_deadline": [_("Choose a day on or after the inspection.")]},
        )
    if rectification_deadline is not None and not required_rectification.strip():
        raise RuleViolation(
            _("Say what must be rectified by the deadline."),
            code="rectification_missing",
            fields={"required_rectification": [_("Required with a deadline.")]},
        )
    warnings = warnings or []
    foreign = [
        w
        for w in warnings
        if w.park_id != enterprise.park_id or (w.enterprise_id is not None and w.enterprise_id != enterprise.pk)
    ]
    if foreign:
        raise RuleViolation(
            _("Only warnings about this enterprise (or its park) can be linked."),
            code="warning_not_linked",
            fields={"warnings": [_("Choose warnings of this enterprise.")]},
        )
    inspection = Inspection.objects.create(
        enterprise=enterprise,
        park=enterprise.park,
        officer=actor,
        date=date,
        kind=kind,
        findings=findings.strip(),
        required_rectification=required_rectification.strip(),
        rectification_deadline=rectification_deadline,
    )
    if warnings:
        inspection.warnings.set(warnings)
    return inspection


@transaction.atomic
def mark_inspection_rectified(*, inspection: Inspection, actor: User, note: str = "") -> Inspection:
    # Lock first: two officers recording the same rectification must not both write it.
    inspection = (
        Inspection.objects.select_for_update().select_related("enterprise__park__division").get(pk=inspection.pk)
    )
    _check_officer(actor, inspection.enterprise)
    if inspection.status == InspectionStatus.RECTIFIED:
        raise TransitionNotAllowed(_("The rectification is already recorded."))
    inspection.status = InspectionStatus.RECTIFIED
    inspection.rectified_at = timezone.now()
    inspection.rectified_by = actor
    inspection.rectification_note = note.strip()
    inspection.save(update_fields=["status", "rectified_at", "rectified_by", "rectification_note"])
    return inspection
