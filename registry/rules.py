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
