"""Monthly waste reports filed by enterprises: rules (pure, no I/O).

The statuses, actions and the one workflow, deadlines and reminders, the figures a line carries and the
balance check. Periods are `wasteparks.periods.Period` months, quarters and years (the report's kind);
their deadlines come from registry.rules.filing_deadline.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from registry.models import EnterpriseRole
from wasteparks.periods import Period, local_date
from wasteparks.workflow import Transition, Workflow

# A figure above this is a typing error, not a month of waste (same bound as a manifest line).
MAX_FIGURE_T = Decimal("1000000000")
FIGURE_PLACES = 4
# Reminders: this many days before the deadline, and once after a missed one.
REMIND_DAYS_BEFORE = 3


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    # A report is accepted by its officer (通过), not received as a load is: the context keeps the two apart.
    ACCEPTED = "accepted", pgettext_lazy("report status", "Accepted")
    RETURNED = "returned", _("Returned")


class ReportAction(models.TextChoices):
    """The steps a report's status log records (MonthlyReportEvent.action)."""

    CREATE = "create", _("Created from the ledger")
    PREFILL = "prefill", _("Prefill refreshed")
    ADJUST = "adjust", _("Lines adjusted")
    SUBMIT = "submit", _("Submitted")
    ACCEPT = "accept", pgettext_lazy("report step", "Accepted")
    RETURN = "return", _("Returned")


class ReportActor(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    OFFICER = "officer", _("Park officer")


S = ReportStatus
A = ReportAction

# Enterprise roles that prepare, edit and submit the enterprise's report.
FILING_ROLES = frozenset({EnterpriseRole.ADMIN, EnterpriseRole.PREPARER})

# The one place that says who may move a report from which status to which. Creating, refreshing the
# prefill and adjusting lines change no status; they need an editable report (EDITABLE_STATUSES).
REPORT_FLOW = Workflow(
    subject=_("monthly report"),
    statuses=ReportStatus,
    actions=ReportAction,
    transitions={
        A.SUBMIT: Transition(
            sources={S.DRAFT, S.RETURNED}, target=S.SUBMITTED, actor=ReportActor.ENTERPRISE, verb=_("submit")
        ),
        A.ACCEPT: Transition(sources={S.SUBMITTED}, target=S.ACCEPTED, actor=ReportActor.OFFICER, verb=_("accept")),
        A.RETURN: Transition(sources={S.SUBMITTED}, target=S.RETURNED, actor=ReportActor.OFFICER, verb=_("return")),
    },
)
# Statuses in which the enterprise may change the lines (a returned report is edited as the next revision).
EDITABLE_STATUSES = frozenset({S.DRAFT, S.RETURNED})
# Statuses whose figures stand as the period's record for the next period's opening stock.
FILED_STATUSES = frozenset({S.SUBMITTED, S.ACCEPTED})

# The figures of a line, in report order. Each is a column `<name>_t` beside its `<name>_prefill_t`.
FIGURES: tuple[str, ...] = (
    "opening_stock",
    "generated",
    "received",
    "utilized_in_house",
    "disposed_in_house",
    "shipped_for_utilization",
    "shipped_for_disposal",
    "closing_stock",
)
INFLOW_FIGURES = ("generated", "received")
OUTFLOW_FIGURES = ("utilized_in_house", "disposed_in_house", "shipped_for_utilization", "shipped_for_disposal")
FIGURE_LABELS = {
    "opening_stock": _("Opening stock (t)"),
    "generated": _("Generated (t)"),
    "received": _("Received (t)"),
    "utilized_in_house": _("Utilized in house (t)"),
    "disposed_in_house": _("Disposed of in house (t)"),
    "shipped_for_utilization": _("Shipped for utilization (t)"),
    "shipped_for_disposal": _("Shipped for disposal (t)"),
    "closing_stock": _("Closing stock (t)"),
}


def column(figure: str) -> str:
    return f"{figure}_t"


def prefill_column(figure: str) -> str:
    return f"{figure}_prefill_t"


# --- Deadlines and reminders ---------------------------------------------------------------------


def is_late(*, submitted_at: datetime, deadline: date) -> bool:
    """Filed after the deadline day has ended (local days, the platform's zone). The deadline is the
    period's (registry.rules.filing_deadline)."""
    return local_date(submitted_at) > deadline


def reminder_due(*, deadline: date, today: date) -> str | None:
    """Which reminder, if any, is due on `today` for a period not yet filed by `deadline`.

    "before" from three days before the deadline up to the deadline itself; "overdue" from the day after
    a missed deadline until the end of that month. The windows (not single days) let a beat run that was
    missed one day catch up the next; the reminder record makes each one go out once.
    """
    if deadline - timedelta(days=REMIND_DAYS_BEFORE) <= today <= deadline:
        return "before"
    # Until the end of the month the first late day falls in (a deadline on a month's last day, as the
    # annual report's 31 March, still gets its month of overdue reminders).
    first_late_day = deadline + timedelta(days=1)
    if first_late_day <= today <= Period.containing(first_late_day).last_day:
        return "overdue"
    return None


# --- Figures and the balance check ----------------------------------------------------------------


def figure_problem(value) -> str | None:
    """Why `value` is not an acceptable figure in tonnes, or None. Zero is fine; negative is not."""
    if isinstance(value, float):
        return str(_("Figures are exact decimals; a floating-point number is refused."))
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return str(_("%(value)s is not a number.") % {"value": value})
    if not value.is_finite():
        return str(_("%(value)s is not a number.") % {"value": value})
    if value < 0:
        return str(_("A figure cannot be negative; got %(value)s t.") % {"value": value})
    if value > MAX_FIGURE_T:
        return str(_("%(value)s t is above the %(limit)s t limit.") % {"value": value, "limit": MAX_FIGURE_T})
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > FIGURE_PLACES:
        return str(_("%(value)s has more than %(places)s decimal places.") % {"value": value, "places": FIGURE_PLACES})
    return None


def expected_closing(figures: Mapping[str, Decimal]) -> Decimal:
    """opening + generated + received − utilized − disposed − shipped."""
    total = figures["opening_stock"]
    for name in INFLOW_FIGURES:
        total += figures[name]
    for name in OUTFLOW_FIGURES:
        total -= figures[name]
    return total


@dataclass(frozen=True)
class Imbalance:
    waste_code: str
    figures: dict[str, Decimal]
    expected_closing: Decimal

    @property
    def difference(self) -> Decimal:
        return self.figures["closing_stock"] - self.expected_closing

    def message(self) -> str:
        f = self.figures
        return str(
            _(
                "%(code)s: opening %(opening)s + generated %(generated)s + received %(received)s − utilized "
                "%(utilized)s − disposed %(disposed)s − shipped for utilization %(shipped_u)s − shipped for "
                "disposal %(shipped_d)s = %(expected)s t, but the closing stock is %(closing)s t "
                "(difference %(difference)s t)."
            )
            % {
                "code": self.waste_code,
                "opening": f["opening_stock"],
                "generated": f["generated"],
                "received": f["received"],
                "utilized": f["utilized_in_house"],
                "disposed": f["disposed_in_house"],
                "shipped_u": f["shipped_for_utilization"],
                "shipped_d": f["shipped_for_disposal"],
                "expected": self.expected_closing,
                "closing": f["closing_stock"],
                "difference": self.difference,
            }
        )


def imbalances(lines: Iterable[tuple[str, Mapping[str, Decimal]]]) -> list[Imbalance]:
    """The lines (waste code, figures) whose closing stock is not exactly what the movements give."""
    result = []
    for code, figures in lines:
        expected = expected_closing(figures)
        if expected != figures["closing_stock"]:
            result.append(Imbalance(waste_code=code, figures=dict(figures), expected_closing=expected))
    return result
