"""Monthly waste reports filed by enterprises: services.

An enterprise's administrator or preparer creates the report of an ended month (prefilled from the
ledger and the manifests), adjusts lines with a reason, and submits it once every line balances. An
officer of the enterprise's park accepts it, or returns it with a comment; a returned report is corrected
as the next revision and submitted again. Every step locks the report row, checks the workflow
(REPORT_FLOW) and writes the status log in the same transaction. Accepting a report queues, in the
same transaction (the outbox), the recompute of the park's utilization figures for that month.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry.models import Enterprise, EnterpriseMembership, User, WasteCode
from registry.rules import ReportKind, check_may_act, filing_deadline, periods_being_filed, report_kind_of
from registry.tenancy import scope_of
from wasteparks import inbox, outbox, webhooks
from wasteparks.bounds import PLAN
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed
from wasteparks.models import NotificationKind
from wasteparks.periods import Period, local_date
from wasteparks.workflow import Transition

from ..models.reports import (
    MonthlyReport,
    MonthlyReportEvent,
    MonthlyReportLine,
    MonthlyReportRevision,
    ReminderKind,
    ReportReminder,
    ReportStatus,
)
from ..querysets.reports import filed_closing_stock, ledger_figures
from ..rules import reports as rules
from ..rules.reports import FIGURES, REPORT_FLOW, ReportAction, column, prefill_column
from ..tasks.utilization import refresh_park_period

logger = logging.getLogger(__name__)
ZERO = Decimal("0")
S = ReportStatus
A = ReportAction


@dataclass(frozen=True)
class LineAdjustment:
    """New values for some figures of one waste code's line, and why they differ from the ledger."""

    waste_code: WasteCode
    figures: dict[str, Decimal] = field(default_factory=dict)
    reason: str = ""


# --- helpers --------------------------------------------------------------------------------------


def _lock(report: MonthlyReport) -> MonthlyReport:
    # Lock first: a submission and an officer's review of the same report must not interleave.
    return (
        MonthlyReport.objects.select_for_update(of=("self",))
        .select_related("enterprise__park__division")
        .get(pk=report.pk)
    )


def _check_filer(actor: User, enterprise: Enterprise) -> None:
    scope = scope_of(actor)
    if scope.read_only or not (scope.roles_on(enterprise.pk) & rules.FILING_ROLES):
        raise NotPermitted(
            _("Only an administrator or preparer of %(enterprise)s may file its monthly reports.")
            % {"enterprise": enterprise.name}
        )
    check_may_act(enterprise)


def _check_officer(officer: User, report: MonthlyReport) -> None:
    scope_of(officer).require_officer_of(
        report.enterprise.park, _("Only an officer of this enterprise's park may review its monthly reports.")
    )


def _check_transition(report: MonthlyReport, action: str) -> Transition:
    return REPORT_FLOW.check(action, report.status)


def _check_editable(report: MonthlyReport) -> None:
    if report.status not in rules.EDITABLE_STATUSES:
        raise TransitionNotAllowed(
            _("The report for %(period)s is %(status)s and can no longer be changed.")
            % {"period": report.period, "status": report.get_status_display()},
            code="report_locked",
        )


def _log(*, report: MonthlyReport, action: str, from_status: str, actor: User, at: datetime, comment: str = "") -> None:
    MonthlyReportEvent.objects.create(
        report=report,
        revision=report.revision.number,
        action=action,
        from_status=from_status,
        to_status=report.status,
        actor=actor,
        comment=comment,
        at=at,
    )
    webhooks.publish_report_changed(report=report, action=action)


def _lines(revision: MonthlyReportRevision) -> list[MonthlyReportLine]:
    return list(revision.lines.select_related("waste_code").order_by("waste_code__code"))


# --- prefill --------------------------------------------------------------------------------------


def compute_prefill(*, enterprise: Enterprise, period: Period) -> dict[int, dict[str, Decimal]]:
    """The figures per waste code id the ledger and manifests give for `period` (see ledger_figures).

    Opening stock is the previous period's filed closing stock (accepted, else latest submitted) when
    there is such a report, else the stock the ledger held at the start of the month. Closing stock is
    opening + inflows − outflows, so a prefilled line always balances.
    """
    ledger = ledger_figures(enterprise_id=enterprise.pk, period=period)
    previous = filed_closing_stock(enterprise_id=enterprise.pk, period=period.previous())
    opening = previous if previous is not None else {code_id: row["stock_before"] for code_id, row in ledger.items()}
    result = {}
    for code_id in set(ledger) | set(opening):
        row = ledger.get(code_id, {})
        figures = {name: row.get(name, ZERO) for name in FIGURES if name not in ("opening_stock", "closing_stock")}
        figures["opening_stock"] = opening.get(code_id, ZERO)
        figures["closing_stock"] = rules.expected_closing(figures)
        if any(figures.values()):
            result[code_id] = figures
    return result


def _apply_prefill(revision: MonthlyReportRevision, prefill: dict[int, dict[str, Decimal]]) -> None:
    """Write the ledger's figures into a revision's lines. An adjusted line keeps its figures (they carry
    a reason) and only updates the prefilled values beside them; any other line takes the new figures."""
    existing = {line.waste_code_id: line for line in revision.lines.all()}
    to_create, to_update, to_delete = [], [], []
    for code_id, figures in prefill.items():
        line = existing.pop(code_id, None)
        if line is None:
            line = MonthlyReportLine(revision=revision, waste_code_id=code_id)
            to_create.append(line)
        else:
            to_update.append(line)
        keep = line.pk is not None and line.is_adjusted
        for name, value in figures.items():
            setattr(line, prefill_column(name), value)
            if not keep:
                setattr(line, column(name), value)
    for line in existing.values():
        if line.is_adjusted and line.adjustment_reason:
            for name in FIGURES:
                setattr(line, prefill_column(name), ZERO)
            to_update.append(line)
        else:
            to_delete.append(line.pk)
    MonthlyReportLine.objects.filter(pk__in=to_delete).delete()
    MonthlyReportLine.objects.bulk_create(to_create)
    MonthlyReportLine.objects.bulk_update(to_update, [f(name) for name in FIGURES for f in (column, prefill_column)])


# --- the enterprise's side ------------------------------------------------------------------------


@transaction.atomic
def create_monthly_report(
    *, actor: User, enterprise: Enterprise, year: int, month: int, report_kind: int = ReportKind.MONTHLY
) -> MonthlyReport:
    """Open the report of an ended period, prefilled from the ledger and the period's manifests.

    `report_kind` is monthly, quarterly (`month` the quarter's first month) or annual (`month` 1); the
    same report, workflow and review serve the three, only the period differs."""
    _check_filer(actor, enterprise)
    try:
        period = Period(int(year), int(month), int(ReportKind(int(report_kind))))
        if report_kind_of(period) is None:
            raise ValueError("a quarter starts in January, April, July or October; a year in January")
        # The months the platform keeps (wasteparks.bounds): from 2000 to a year ahead. A nearer month
        # that has not ended gets the clearer refusal below.
        out_of_window = PLAN.problem(period.first_day)  # a date: ValueError outside the years 1 to 9999
    except (TypeError, ValueError):
        raise RuleViolation(
            _("%(year)s-%(month)s is not a calendar month.") % {"year": year, "month": month},
            code="invalid_period",
            fields={"month": [_("Use a month from 1 to 12.")]},
        )
    if out_of_window:
        raise RuleViolation(
            _("There is no report for %(period)s: %(problem)s") % {"period": period, "problem": out_of_window},
            code="out_of_window",
            fields={"month": [out_of_window]},
        )
    now = timezone.now()
    if not period.has_ended(now):
        raise RuleViolation(
            _("The report for %(period)s can be filed once the month is over, from %(start)s.")
            % {"period": period, "start": period.end.date().isoformat()},
            code="period_not_ended",
            fields={"month": [_("Choose a month that has ended.")]},
        )
    if MonthlyReport.objects.for_period(period).filter(enterprise=enterprise).exists():
        raise RuleViolation(
            _("%(enterprise)s already has a report for %(period)s; open it instead of creating another.")
            % {"enterprise": enterprise.name, "period": period},
            code="duplicate_report",
        )
    try:
        # A savepoint: a concurrent create of the same period loses on the unique constraint here.
        with transaction.atomic():
            report = MonthlyReport.objects.create(
                enterprise=enterprise,
                year=period.year,
                month=period.month,
                report_kind=period.length,
                created_by=actor,
            )
    except IntegrityError:
        raise RuleViolation(
            _("%(enterprise)s already has a report for %(period)s; open it instead of creating another.")
            % {"enterprise": enterprise.name, "period": period},
            code="duplicate_report",
        )
    revision = MonthlyReportRevision.objects.create(report=report, number=1)
    report.current_revision = revision
    report.save(update_fields=["current_revision"])
    _apply_prefill(revision, compute_prefill(enterprise=enterprise, period=period))
    _log(report=report, action=A.CREATE, from_status="", actor=actor, at=now)
    return report


@transaction.atomic
def refresh_prefill(*, report: MonthlyReport, actor: User) -> MonthlyReport:
    """Read the ledger and manifests again (entries recorded late, treatments recorded since)."""
    report = _lock(report)
    _check_filer(actor, report.enterprise)
    _check_editable(report)
    _apply_prefill(report.revision, compute_prefill(enterprise=report.enterprise, period=report.period))
    report.save(update_fields=[])
    _log(report=report, action=A.PREFILL, from_status=report.status, actor=actor, at=timezone.now())
    return report


def check_line_figures(lines, *, known, field) -> None:
    """Refuse lines (of a report or a plan) that name a waste code twice, a figure not in `known`, or a
    figure the report rules do not accept; `field(name)` is the figure's field name in the errors."""
    problems: dict[str, list[str]] = {}
    seen: set[int] = set()
    for item in lines:
        code = item.waste_code.code
        if item.waste_code.pk in seen:
            problems.setdefault(f"lines[{code}]", []).append(_("Give each waste code once."))
        seen.add(item.waste_code.pk)
        for name, value in item.figures.items():
            if name not in known:
                problems.setdefault(f"lines[{code}].{name}", []).append(_("Unknown figure."))
                continue
            problem = rules.figure_problem(value)
            if problem:
                problems.setdefault(f"lines[{code}].{field(name)}", []).append(problem)
    if problems:
        raise RuleViolation(
            _("Some figures are not acceptable: %(details)s")
            % {"details": "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in problems.items())},
            code="invalid_figure",
            fields=problems,
        )


@transaction.atomic
def adjust_report_lines(*, report: MonthlyReport, actor: User, lines: list[LineAdjustment]) -> MonthlyReport:
    """Change figures of some lines. A line whose figures differ from the prefilled ones must say why;
    setting a line back to the prefilled figures clears its reason. A code the ledger did not give may
    be added (its prefilled figures are zero)."""
    report = _lock(report)
    _check_filer(actor, report.enterprise)
    _check_editable(report)
    revision = report.revision
    existing = {line.waste_code_id: line for line in revision.lines.all()}
    check_line_figures(lines, known=FIGURES, field=column)

    now = timezone.now()
    to_save, reasons = [], []
    for item in lines:
        line = existing.get(item.waste_code.pk) or MonthlyReportLine(revision=revision, waste_code=item.waste_code)
        for name, value in item.figures.items():
            setattr(line, column(name), Decimal(value))
        reason = item.reason.strip()
        if line.is_adjusted:
            if not reason:
                raise RuleViolation(
                    _("%(code)s: %(figures)s differ from what the ledger gives; give the reason for the adjustment.")
                    % {"code": item.waste_code.code, "figures": ", ".join(line.adjusted_figures)},
                    code="adjustment_reason_required",
                    fields={f"lines[{item.waste_code.code}].adjustment_reason": [_("Required.")]},
                )
            line.adjustment_reason = reason
            line.adjusted_by = actor
            line.adjusted_at = now
            reasons.append(f"{item.waste_code.code}: {reason}")
        else:
            line.adjustment_reason = ""
            line.adjusted_by = None
            line.adjusted_at = None
        to_save.append(line)
    for line in to_save:
        line.save()
    report.save(update_fields=[])
    _log(report=report, action=A.ADJUST, from_status=report.status, actor=actor, at=now, comment="\n".join(reasons))
    return report


@transaction.atomic
def submit_monthly_report(*, report: MonthlyReport, actor: User, comment: str = "") -> MonthlyReport:
    """File the report. Every line must balance exactly; the first submission decides lateness."""
    report = _lock(report)
    _check_filer(actor, report.enterprise)
    transition = _check_transition(report, A.SUBMIT)
    revision = report.revision
    lines = _lines(revision)
    failing = rules.imbalances((line.waste_code.code, line.figures()) for line in lines)
    if failing:
        raise RuleViolation(
            _("The report does not balance on %(count)s line(s): %(details)s")
            % {"count": len(failing), "details": " ".join(item.message() for item in failing)},
            code="report_unbalanced",
            fields={f"lines[{item.waste_code}]": [item.message()] for item in failing},
        )
    now = timezone.now()
    late = rules.is_late(submitted_at=now, deadline=report.deadline)
    revision.submitted_by = actor
    revision.submitted_at = now
    revision.is_late = late
    revision.save(update_fields=["submitted_by", "submitted_at", "is_late"])
    from_status = report.status
    fields = ["status", "submitted_by", "submitted_at"]
    if report.first_submitted_at is None:
        report.first_submitted_at = now
        report.is_late = late
        fields += ["first_submitted_at", "is_late"]
    report.status = transition.target_from(report.status)
    report.submitted_by = actor
    report.submitted_at = now
    report.save(update_fields=fields)
    _log(report=report, action=A.SUBMIT, from_status=from_status, actor=actor, at=now, comment=comment.strip())
    return report


# --- the officer's side ---------------------------------------------------------------------------


def _review(*, report: MonthlyReport, officer: User, action: str, comment: str) -> MonthlyReport:
    report = _lock(report)
    _check_officer(officer, report)
    transition = _check_transition(report, action)
    comment = comment.strip()
    if action == A.RETURN and not comment:
        raise RuleViolation(
            _("Say what the enterprise must correct: a returned report needs a comment."),
            code="comment_required",
            fields={"comment": [_("Required.")]},
        )
    now = timezone.now()
    target = transition.target_from(report.status)
    revision = report.revision
    revision.outcome = target
    revision.reviewed_by = officer
    revision.reviewed_at = now
    revision.review_comment = comment
    revision.save(update_fields=["outcome", "reviewed_by", "reviewed_at", "review_comment"])
    from_status = report.status
    report.status = target
    report.reviewed_by = officer
    report.reviewed_at = now
    report.review_comment = comment
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    _log(report=report, action=action, from_status=from_status, actor=officer, at=now, comment=comment)
    return report


@transaction.atomic
def accept_monthly_report(*, report: MonthlyReport, officer: User, comment: str = "") -> MonthlyReport:
    """The park's officer accepts the report. The park's utilization figures for the month are brought
    up to date after commit, if the month has been computed (the outbox row is written here, so a
    rolled-back acceptance queues nothing and a broker away loses nothing)."""
    report = _review(report=report, officer=officer, action=A.ACCEPT, comment=comment)
    for month in report.period.months():  # a quarterly or annual report covers several
        outbox.enqueue(refresh_park_period, report.enterprise.park_id, month.year, month.month)
    return report


@transaction.atomic
def return_monthly_report(*, report: MonthlyReport, officer: User, comment: str) -> MonthlyReport:
    """The park's officer returns the report with a comment. The submitted revision stays as it was; the
    next revision opens as its copy for the enterprise to correct and submit again."""
    report = _review(report=report, officer=officer, action=A.RETURN, comment=comment)
    previous = report.revision
    revision = MonthlyReportRevision.objects.create(report=report, number=previous.number + 1)
    copies = []
    for line in previous.lines.all():
        line.pk = None
        line.revision = revision
        copies.append(line)
    MonthlyReportLine.objects.bulk_create(copies)
    report.current_revision = revision
    report.save(update_fields=["current_revision"])
    _tell_filers_returned(report=report, comment=comment)
    return report


def _filers(enterprise_id: int) -> list[int]:
    """The users who file the enterprise's reports (administrators and preparers)."""
    return list(
        EnterpriseMembership.objects.filter(enterprise_id=enterprise_id, role__in=rules.FILING_ROLES).values_list(
            "user_id", flat=True
        )
    )


def _tell_filers_returned(*, report: MonthlyReport, comment: str) -> None:
    # A returned report always has the revision that was returned.
    assert report.current_revision is not None
    period, revision = str(report.period), report.current_revision.number
    inbox.notify(
        user_ids=_filers(report.enterprise_id),
        kind=NotificationKind.REPORT_RETURNED,
        title=lambda: (
            _("Your monthly report for %(period)s was returned: %(comment)s")
            % {"period": period, "comment": comment[:200]}
        ),
        link=reverse("reporting:report_detail", args=[report.pk]),
        dedup_key=f"report:{report.pk}:returned:{revision}",
    )


# --- the annual summary ---------------------------------------------------------------------------


def annual_summary(*, enterprise: Enterprise, year: int) -> list[dict]:
    """Per waste code, the year's accepted monthly reports added up (for the annual report due 31 March).

    Opening stock is that of the first accepted month, closing stock that of the last; `months` says how
    many accepted months a code appears in.
    """
    rows = MonthlyReportLine.objects.annual_summary(enterprise_id=enterprise.pk, year=year)
    return [
        {
            "waste_code": row["waste_code__code"],
            "waste_class": row["waste_code__waste_class"],
            "months": row["months"],
            **{name: row[name] if row[name] is not None else ZERO for name in FIGURES},
        }
        for row in rows
    ]


# --- deadlines and reminders ----------------------------------------------------------------------


def enterprises_due(*, period: Period):
    """Enterprises that must file `period` (`must_file`, the rule the dashboard's compliance card, the
    REPORT_MISSING warning and the API use too) and have not yet."""
    return Enterprise.objects.must_file(period).exclude(
        pk__in=MonthlyReport.objects.for_period(period).filed().values("enterprise_id")
    )


def reminder_periods(today: date) -> list[Period]:
    """The periods a reminder may concern on `today`: of each report kind, the one being filed now and
    the one before it (whose deadline may still fall in this month)."""
    return [period for latest in periods_being_filed(today) for period in (latest.previous(), latest)]


def _recipients(enterprise: Enterprise) -> list[str]:
    """The contact address and the filers' addresses, but for filers who switched deadline mails off."""
    filers = [membership.user for membership in enterprise.memberships.all() if membership.role in rules.FILING_ROLES]
    wanted = inbox.mail_wanted(user_ids=[user.pk for user in filers], kind=NotificationKind.DEADLINE)
    addresses = [enterprise.contact_email] + [user.email for user in filers if user.pk in wanted]
    return sorted({address for address in addresses if address})


def _reminder_mail(*, enterprise: Enterprise, period: Period, kind: str) -> tuple[str, str]:
    deadline = filing_deadline(period)
    params = {"enterprise": enterprise.name, "period": str(period), "deadline": deadline.isoformat()}
    if period.is_month:
        return _monthly_reminder_mail(kind, params)
    params["report"] = str(ReportKind(period.length).label)
    if kind == ReminderKind.BEFORE_DEADLINE:
        subject = _("%(report)s of waste for %(period)s due on %(deadline)s") % params
        body = _(
            "%(enterprise)s has not yet submitted its %(report)s of waste for %(period)s. The deadline is "
            "%(deadline)s. Open the report, check the figures prefilled from the ledger and submit it."
        )
    else:
        subject = _("%(report)s of waste for %(period)s is overdue") % params
        body = _(
            "The deadline of %(deadline)s for the %(report)s of waste of %(enterprise)s for %(period)s has "
            "passed and the report has not been submitted. Submit it as soon as possible; it will be "
            "flagged as late."
        )
    return subject, body % params


def _monthly_reminder_mail(kind: str, params: dict) -> tuple[str, str]:
    if kind == ReminderKind.BEFORE_DEADLINE:
        subject = _("Monthly waste report for %(period)s due on %(deadline)s") % params
        body = _(
            "%(enterprise)s has not yet submitted its monthly waste report for %(period)s. The deadline is "
            "%(deadline)s. Open the report, check the figures prefilled from the ledger and submit it."
        )
    else:
        subject = _("Monthly waste report for %(period)s is overdue") % params
        body = _(
            "The deadline of %(deadline)s for the monthly waste report of %(enterprise)s for %(period)s has "
            "passed and the report has not been submitted. Submit it as soon as possible; it will be "
            "flagged as late."
        )
    return subject, body % params


def _remind(*, enterprise: Enterprise, period: Period, kind: str, now: datetime) -> bool:
    recipients = _recipients(enterprise)
    with transaction.atomic():
        try:
            # The unique record is written first: a second run, or a concurrent worker, waits on it and
            # then finds it taken, so the mail goes out once.
            with transaction.atomic():
                ReportReminder.objects.create(
                    enterprise=enterprise,
                    year=period.year,
                    month=period.month,
                    report_kind=period.length,
                    kind=kind,
                    recipients=", ".join(recipients),
                    sent_at=now,
                )
        except IntegrityError:
            return False
        # The filers find the reminder in their inbox as well (mailed just below, not by the inbox).
        inbox.notify(
            user_ids=[m.user_id for m in enterprise.memberships.all() if m.role in rules.FILING_ROLES],
            kind=NotificationKind.DEADLINE,
            title=lambda: _reminder_mail(enterprise=enterprise, period=period, kind=kind)[0],  # the subject
            link=reverse("reporting:report_list"),
            dedup_key=f"reminder:{enterprise.pk}:{period}:{kind}",
            mail=False,
        )
        if recipients:
            subject, body = _reminder_mail(enterprise=enterprise, period=period, kind=kind)
            # A failed send raises and rolls the record back, so the next run tries again.
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return bool(recipients)


def send_due_reminders(*, today: date | None = None) -> int:
    """Mail every enterprise whose report is due in three days, or whose deadline passed this month and
    the report is missing: monthly, quarterly and annual reports alike, each to whom `must_file` names.

    Each (enterprise, period, kind) is mailed once; runs may repeat. Returns the number of mails sent.
    A mail that fails is not recorded and is retried by the next run; the error is raised after the
    other enterprises have been served.
    """
    now = timezone.now()
    today = today or local_date(now)
    sent, failures = 0, []
    with translation.override(settings.LANGUAGE_CODE):
        for period in reminder_periods(today):
            kind = rules.reminder_due(deadline=filing_deadline(period), today=today)
            if kind is None:
                continue
            due = (
                enterprises_due(period=period)
                .exclude(pk__in=ReportReminder.objects.for_period(period).filter(kind=kind).values("enterprise_id"))
                .prefetch_related(Prefetch("memberships", queryset=EnterpriseMembership.objects.select_related("user")))
                .order_by("pk")
            )
            for enterprise in due:
                try:
                    sent += _remind(enterprise=enterprise, period=period, kind=kind, now=now)
                except Exception as error:  # noqa: BLE001 - one bad mailbox must not starve the others
                    logger.exception("Report reminder to enterprise %s for %s failed", enterprise.pk, period)
                    failures.append(error)
    if failures:
        raise failures[0]
    return sent
