"""Pure registry rules: no database, no I/O, so they can be tested at their boundaries directly.

The credit code check, the HJ 1259-2022 management class, the limits of a hazardous waste operating
licence (its term and its annual scale), and the registration workflow (which officer or enterprise action
moves an enterprise from which status to which).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wasteparks.errors import NotPermitted
from wasteparks.workflow import Transition, Workflow

# GB 32100-2015: the code uses digits and capital letters without I, O, S, V and Z.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH = 18


def credit_code_check_character(first_seventeen: str) -> str:
    """The check character GB 32100-2015 assigns to the first 17 characters of a code."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first_seventeen, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != CREDIT_CODE_LENGTH:
        return _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)}
    forbidden = sorted({char for char in code if char not in CREDIT_CODE_ALPHABET})
    if forbidden:
        return _(
            "Characters not allowed in a unified social credit code: %(chars)s (I, O, S, V, Z are never used)."
        ) % {"chars": " ".join(forbidden)}
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        return _("Wrong check character: the last character should be %(expected)s, not %(actual)s.") % {
            "expected": expected,
            "actual": code[17],
        }
    return None


def validate_credit_code(code: str) -> None:
    problem = credit_code_problem(code)
    if problem:
        raise ValidationError(problem, code="invalid_credit_code")


class ManagementClass(models.TextChoices):
    """HJ 1259-2022 classes of hazardous waste management, which set how often a site reports."""

    KEY = "key", _("Key supervised")
    SIMPLIFIED = "simplified", _("Simplified management")
    REGISTRATION = "registration", _("Registration management")


KEY_THRESHOLD_T = Decimal("100")
SIMPLIFIED_THRESHOLD_T = Decimal("10")


def management_class(
    *,
    annual_hazardous_tonnes: Iterable[Decimal],
    operates_own_treatment: bool,
    holds_operating_licence: bool,
) -> ManagementClass:
    """The HJ 1259-2022 class from the annual hazardous quantities of the last three years.

    The largest year counts: >= 100 t, an own utilization/disposal installation, or an operating
    licence make a site key supervised; >= 10 t simplified; anything less registration.
    """
    largest = max(annual_hazardous_tonnes, default=Decimal("0"))
    if largest >= KEY_THRESHOLD_T or operates_own_treatment or holds_operating_licence:
        return ManagementClass.KEY
    if largest >= SIMPLIFIED_THRESHOLD_T:
        return ManagementClass.SIMPLIFIED
    return ManagementClass.REGISTRATION


# --- Reporting duties by class (HJ 1259-2022 and the Solid Waste Law, art. 78) ------------------------
# Every class files an annual report (年度申报) by 31 March of the next year; besides it a key supervised
# site files monthly (月度申报) and a simplified one quarterly (季度申报), each by the 15th of the month after
# the period (settings.REPORT_DEADLINE_DAY); a registration site files the annual report only. The periods are
# `wasteparks.periods.Period` months, quarters and years.


class ReportKind(models.IntegerChoices):
    """Which report: its value is the number of months it covers (a Period's `length`)."""

    MONTHLY = 1, _("Monthly report")
    QUARTERLY = 3, _("Quarterly report")
    ANNUAL = 12, _("Annual report")


# The classes that owe each kind of report.
CLASSES_OWING: dict[int, frozenset[str]] = {
    ReportKind.MONTHLY: frozenset({ManagementClass.KEY}),
    ReportKind.QUARTERLY: frozenset({ManagementClass.SIMPLIFIED}),
    ReportKind.ANNUAL: frozenset(ManagementClass.values),
}
# The annual report is due on 31 March of the next year: the 3rd month after the year, its last day.
ANNUAL_DEADLINE_MONTHS_AFTER = 3
ANNUAL_DEADLINE_DAY = 31


def report_kind_of(period) -> "ReportKind | None":
    """The kind of report that covers `period`, or None when no report covers such a period (a rolling
    window, a quarter not starting in January, April, July or October)."""
    if period.is_month:
        return ReportKind.MONTHLY
    if period.is_quarter:
        return ReportKind.QUARTERLY
    if period.is_year:
        return ReportKind.ANNUAL
    return None


def filing_deadline(period) -> date:
    """The last day on which the report of `period` is filed in time."""
    from django.conf import settings

    if report_kind_of(period) == ReportKind.ANNUAL:
        return period.deadline(ANNUAL_DEADLINE_DAY, months_after=ANNUAL_DEADLINE_MONTHS_AFTER)
    return period.deadline(settings.REPORT_DEADLINE_DAY)


def latest_ended_period(kind: int, today: date):
    """The latest period of report `kind` that ended before `today` (the one being filed now)."""
    from wasteparks.periods import Period

    this = Period.containing(today)
    length = int(kind)
    start = this.first_index - this.first_index % length
    return Period.from_index(start - length, length)


def periods_being_filed(today: date) -> list:
    """For each kind of report, the latest period that has ended: last month, last quarter, last year."""
    return [latest_ended_period(kind, today) for kind in ReportKind]


# --- Hazardous waste operating licences ----------------------------------------------------------
# Measures for the Administration of Hazardous Waste Operating Licences (危险废物经营许可证管理办法, State
# Council Decree No. 408 of 2004, revised 2013 and 2016).

# Art. 12: a comprehensive licence (collection, storage, disposal) is valid for 5 years, a collection
# licence for 3 years.
COMPREHENSIVE_LICENCE_YEARS = 5
COLLECTION_LICENCE_YEARS = 3

# Art. 11(4): operating beyond the approved annual scale by 20 % or more (以上 includes the figure itself)
# requires applying for a new licence under the original procedure. So up to the scale is licensed; beyond
# it is warned of; reaching 120 % of it is no longer covered by the licence at all.
OVER_SCALE_LIMIT = Decimal("1.2")


def years_after(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def licence_term_problem(*, years: int, valid_from: date, valid_to: date) -> str | None:
    """Why a licence valid from `valid_from` to `valid_to` (both included) is longer than its `years`, or
    None. A 5-year licence from 1 January 2024 runs to 31 December 2028 at the latest."""
    if valid_to < years_after(valid_from, years):
        return None
    return _(
        "A licence of this kind is valid for %(years)d years at most (Measures for the Administration of "
        "Hazardous Waste Operating Licences, art. 12): from %(valid_from)s it ends on %(last_day)s at the latest."
    ) % {
        "years": years,
        "valid_from": valid_from,
        "last_day": date.fromordinal(years_after(valid_from, years).toordinal() - 1),
    }


def beyond_licensed_scale(*, capacity_t: Decimal, total_t: Decimal) -> bool:
    """A year's total reaches the point (120 % of the approved annual scale) where the licence no longer
    covers it (art. 11(4) of the Measures)."""
    return total_t >= capacity_t * OVER_SCALE_LIMIT


# --- Registration workflow ------------------------------------------------------------------------


class EnterpriseStatus(models.TextChoices):
    PENDING = "pending", _("Pending verification")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class EnterpriseAction(models.TextChoices):
    """The steps of an enterprise's registration: the officers' decisions and the applicant's resubmission."""

    VERIFY = "verify", _("Verify")
    REJECT = "reject", _("Reject")
    SUSPEND = "suspend", _("Suspend")
    REINSTATE = "reinstate", _("Reinstate")
    CLOSE = "close", _("Close")
    RESUBMIT = "resubmit", _("Resubmit")


OFFICER = "officer"  # an officer supervising the enterprise's park
APPLICANT = "enterprise"  # an administrator of the enterprise itself

_S = EnterpriseStatus
_A = EnterpriseAction

# The one place that says who moves an enterprise from which status to which.
ENTERPRISE_FLOW = Workflow(
    subject=_("enterprise"),
    statuses=EnterpriseStatus,
    actions=EnterpriseAction,
    transitions={
        _A.VERIFY: Transition(sources={_S.PENDING}, target=_S.ACTIVE, actor=OFFICER, verb=_("verify")),
        _A.REJECT: Transition(
            sources={_S.PENDING}, target=_S.REJECTED, actor=OFFICER, reason_required=True, verb=_("reject")
        ),
        _A.SUSPEND: Transition(
            sources={_S.ACTIVE}, target=_S.SUSPENDED, actor=OFFICER, reason_required=True, verb=_("suspend")
        ),
        _A.REINSTATE: Transition(sources={_S.SUSPENDED}, target=_S.ACTIVE, actor=OFFICER, verb=_("reinstate")),
        _A.CLOSE: Transition(
            sources={_S.ACTIVE, _S.SUSPENDED}, target=_S.CLOSED, actor=OFFICER, reason_required=True, verb=_("close")
        ),
        _A.RESUBMIT: Transition(sources={_S.REJECTED}, target=_S.PENDING, actor=APPLICANT, verb=_("resubmit")),
    },
)


def check_may_act(enterprise) -> None:
    """Only a verified, active enterprise records waste, prepares or signs manifests and files reports.

    A pending registration may prepare its profile and facilities only, until the park's officers verify
    it; a rejected, suspended or closed one may do none of it. The one rule for every write of transfers
    and reporting (it runs where they check the actor's role)."""
    if enterprise.status != EnterpriseStatus.ACTIVE:
        raise NotPermitted(
            _(
                "%(name)s is “%(status)s”: only a verified, active enterprise records waste, prepares or signs "
                "manifests and files reports."
            )
            % {"name": enterprise.name, "status": enterprise.get_status_display()},
            code="enterprise_not_active",
        )


# --- Licences and approvals: one workflow for recording, applying and deciding -------------------


class LicenceStatus(models.TextChoices):
    """Where a permit or a cross-province transfer approval stands. Only a valid one covers anything
    (PermitQuerySet.valid_on, PermitLineQuerySet.in_force_on, TransferApprovalQuerySet.valid_on); whether
    it has expired is read from its dates, not stored."""

    APPLIED = "applied", _("Applied for")
    PENDING = "pending", _("Recorded, pending verification")
    VALID = "valid", _("Valid")
    REFUSED = "refused", _("Refused")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class LicenceAction(models.TextChoices):
    """The officers' steps on a permit or an approval, after an enterprise applied for it or an officer
    recorded it from the paper copy."""

    VERIFY = "verify", _("Verify")
    GRANT = "grant", _("Grant")
    REFUSE = "refuse", _("Refuse")
    SUSPEND = "suspend", _("Suspend")
    REINSTATE = "reinstate", _("Reinstate")
    REVOKE = "revoke", _("Revoke")
    RENEW = "renew", _("Renew")


# Statuses in which a licence may have no number: an application not (or never) granted.
UNNUMBERED = (LicenceStatus.APPLIED, LicenceStatus.REFUSED)
# Statuses in which a licence never covered anything (a revoked or suspended one did, before).
NEVER_IN_FORCE = frozenset({LicenceStatus.APPLIED, LicenceStatus.PENDING, LicenceStatus.REFUSED})

_L = LicenceStatus
_LA = LicenceAction
_LICENCE_TRANSITIONS: dict[str, Transition] = {
    # A licence typed in from the paper copy is checked against it before it counts.
    _LA.VERIFY: Transition(sources={_L.PENDING}, target=_L.VALID, actor=OFFICER, verb=_("verify")),
    # An enterprise's application, decided: the officer writes the number of the licence issued.
    _LA.GRANT: Transition(sources={_L.APPLIED}, target=_L.VALID, actor=OFFICER, verb=_("grant")),
    _LA.REFUSE: Transition(
        sources={_L.APPLIED, _L.PENDING}, target=_L.REFUSED, actor=OFFICER, reason_required=True, verb=_("refuse")
    ),
    _LA.SUSPEND: Transition(
        sources={_L.VALID}, target=_L.SUSPENDED, actor=OFFICER, reason_required=True, verb=_("suspend")
    ),
    _LA.REINSTATE: Transition(sources={_L.SUSPENDED}, target=_L.VALID, actor=OFFICER, verb=_("reinstate")),
    _LA.REVOKE: Transition(
        sources={_L.VALID, _L.SUSPENDED}, target=_L.REVOKED, actor=OFFICER, reason_required=True, verb=_("revoke")
    ),
}

# The one place that says who moves a permit from which status to which. Renewal keeps the permit valid
# until the renewed licence takes over (registry/permits.py: renew_permit).
PERMIT_FLOW = Workflow(
    subject=_("permit"),
    statuses=LicenceStatus,
    actions=LicenceAction,
    transitions={
        **_LICENCE_TRANSITIONS,
        _LA.RENEW: Transition(sources={_L.VALID}, target=None, actor=OFFICER, verb=_("renew")),
    },
)

# A cross-province approval is not renewed: it is valid 12 months at most, and a further transfer needs a
# new approval (Hazardous Waste Transfer Measures 2022; DESIGN 5.4).
APPROVAL_FLOW = Workflow(
    subject=_("transfer approval"),
    statuses=LicenceStatus,
    actions=LicenceAction,
    transitions=_LICENCE_TRANSITIONS,
)
