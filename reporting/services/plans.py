"""Annual hazardous waste management plans: services.

An enterprise's administrator or preparer drafts the plan of a year (per waste code: planned generation,
storage at year end, transfer out, utilization and disposal), may replace its lines while it is a draft or
returned, and submits it; an officer of its park accepts it or returns it with a comment, as with reports
(REPORT_FLOW). Every step locks the plan, checks the workflow and writes the status log in one transaction.
Who owes a plan is `Enterprise.objects.must_file(Period.year_of(year))`: every class files one, like the
annual report; the plan of a year is due by 31 March of that year.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Enterprise, User, WasteCode
from registry.tenancy import scope_of
from wasteparks.errors import RuleViolation, TransitionNotAllowed

from ..models.plans import PLAN_FIGURES, ManagementPlan, ManagementPlanEvent, ManagementPlanLine
from ..rules import reports as rules
from ..rules.reports import REPORT_FLOW, ReportAction, ReportStatus
from .reports import _check_filer, check_line_figures

A = ReportAction


@dataclass(frozen=True)
class PlanLineInput:
    waste_code: WasteCode
    figures: dict[str, Decimal] = field(default_factory=dict)


def _lock(plan: ManagementPlan) -> ManagementPlan:
    # Lock first: a submission and an officer's review of the same plan must not interleave.
    return ManagementPlan.objects.select_for_update(of=("self",)).select_related("enterprise__park").get(pk=plan.pk)


def _log(*, plan: ManagementPlan, action: str, from_status: str, actor: User, comment: str = "") -> None:
    ManagementPlanEvent.objects.create(
        plan=plan,
        action=action,
        from_status=from_status,
        to_status=plan.status,
        actor=actor,
        comment=comment,
        at=timezone.now(),
    )


def _write_lines(plan: ManagementPlan, lines: list[PlanLineInput]) -> None:
    check_line_figures(lines, known=PLAN_FIGURES, field=lambda name: f"{name}_t")
    plan.lines.all().delete()
    ManagementPlanLine.objects.bulk_create(
        ManagementPlanLine(
            plan=plan,
            waste_code=item.waste_code,
            **{f"{name}_t": Decimal(item.figures.get(name, 0)) for name in PLAN_FIGURES},
        )
        for item in lines
    )


@transaction.atomic
def create_management_plan(
    *, actor: User, enterprise: Enterprise, year: int, lines: list[PlanLineInput]
) -> ManagementPlan:
    """Draft the plan of `year` with its lines (one per waste code)."""
    _check_filer(actor, enterprise)
    if not 2000 <= int(year) <= 2100:
        raise RuleViolation(
            _("%(year)s is not a plan year.") % {"year": year}, code="invalid_period", fields={"year": [_("Invalid.")]}
        )
    try:
        with transaction.atomic():
            plan = ManagementPlan.objects.create(enterprise=enterprise, year=year, created_by=actor)
    except IntegrityError:
        raise RuleViolation(
            _("%(enterprise)s already has a management plan for %(year)s; open it instead.")
            % {"enterprise": enterprise.name, "year": year},
            code="duplicate_plan",
        )
    _write_lines(plan, lines)
    _log(plan=plan, action=A.CREATE, from_status="", actor=actor)
    return plan


@transaction.atomic
def replace_plan_lines(*, plan: ManagementPlan, actor: User, lines: list[PlanLineInput]) -> ManagementPlan:
    plan = _lock(plan)
    _check_filer(actor, plan.enterprise)
    if not plan.is_editable:
        raise TransitionNotAllowed(
            _("The plan for %(year)s is %(status)s and can no longer be changed.")
            % {"year": plan.year, "status": plan.get_status_display()},
            code="plan_locked",
        )
    _write_lines(plan, lines)
    plan.save(update_fields=["updated_at"])
    _log(plan=plan, action=A.ADJUST, from_status=plan.status, actor=actor)
    return plan


@transaction.atomic
def submit_management_plan(*, plan: ManagementPlan, actor: User, comment: str = "") -> ManagementPlan:
    """File the plan; one with no line is refused. Filed after 31 March of its year it is late."""
    plan = _lock(plan)
    _check_filer(actor, plan.enterprise)
    transition = REPORT_FLOW.check(A.SUBMIT, plan.status)
    if not plan.lines.exists():
        raise RuleViolation(
            _("A plan names at least one waste code."), code="plan_empty", fields={"lines": [_("Required.")]}
        )
    now = timezone.now()
    from_status = plan.status
    plan.status = transition.target_from(plan.status)
    plan.submitted_by, plan.submitted_at = actor, now
    fields = ["status", "submitted_by", "submitted_at", "updated_at"]
    if from_status == ReportStatus.DRAFT:
        plan.is_late = rules.is_late(submitted_at=now, deadline=plan.deadline)
        fields.append("is_late")
    plan.save(update_fields=fields)
    _log(plan=plan, action=A.SUBMIT, from_status=from_status, actor=actor, comment=comment.strip())
    return plan


def _review(*, plan: ManagementPlan, officer: User, action: str, comment: str) -> ManagementPlan:
    plan = _lock(plan)
    scope_of(officer).require_officer_of(
        plan.enterprise.park, _("Only an officer of this enterprise's park may review its management plan.")
    )
    transition = REPORT_FLOW.check(action, plan.status)
    comment = comment.strip()
    if action == A.RETURN and not comment:
        raise RuleViolation(
            _("Say what the enterprise must correct: a returned plan needs a comment."),
            code="comment_required",
            fields={"comment": [_("Required.")]},
        )
    from_status = plan.status
    plan.status = transition.target_from(plan.status)
    plan.reviewed_by, plan.reviewed_at, plan.review_comment = officer, timezone.now(), comment
    plan.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "updated_at"])
    _log(plan=plan, action=action, from_status=from_status, actor=officer, comment=comment)
    return plan


@transaction.atomic
def accept_management_plan(*, plan: ManagementPlan, officer: User, comment: str = "") -> ManagementPlan:
    return _review(plan=plan, officer=officer, action=A.ACCEPT, comment=comment)


@transaction.atomic
def return_management_plan(*, plan: ManagementPlan, officer: User, comment: str) -> ManagementPlan:
    return _review(plan=plan, officer=officer, action=A.RETURN, comment=comment)
