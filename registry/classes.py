"""The HJ 1259-2022 management class of an enterprise: recording a derivation, an officer's override and
its lifting, each with its place in the class history (ManagementClassChange) in the same transaction.

The class decides the reporting duties (`Enterprise.objects.must_file`), so it is never typed in: the
platform derives it from the ledger, the installations and the licences (transfers/services/classes.py
gathers those grounds, since the ledger lives there) on verification and every January. An officer may set
another class with a reason; the officer's class stands, whatever later derivations give, until an officer
lifts it, and then the latest derived class applies again.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wasteparks.errors import RuleViolation

from .models import ClassChangeSource, Enterprise, ManagementClassChange, User
from .rules import KEY_THRESHOLD_T, SIMPLIFIED_THRESHOLD_T, ManagementClass, management_class
from .tenancy import scope_of

ZERO = Decimal("0")


@dataclass(frozen=True)
class ClassGrounds:
    """What the class is derived from: the hazardous waste generated in each year counted (tonnes), and
    the two criteria that make a site key supervised whatever its quantity."""

    annual_hazardous_t: dict[int, Decimal]
    operates_own_treatment: bool
    holds_operating_licence: bool

    @property
    def largest_t(self) -> Decimal:
        return max(self.annual_hazardous_t.values(), default=ZERO)

    @property
    def years(self) -> tuple[int | None, int | None]:
        years = sorted(self.annual_hazardous_t)
        return (years[0], years[-1]) if years else (None, None)

    def derived(self) -> ManagementClass:
        return management_class(
            annual_hazardous_tonnes=self.annual_hazardous_t.values(),
            operates_own_treatment=self.operates_own_treatment,
            holds_operating_licence=self.holds_operating_licence,
        )

    def explanation(self) -> str:
        first, last = self.years
        params = {"largest": self.largest_t, "first": first, "last": last}
        parts = [_("largest annual hazardous waste generated %(first)s–%(last)s: %(largest)s t") % params]
        if self.operates_own_treatment:
            parts.append(_("operates its own utilization or disposal installation"))
        if self.holds_operating_licence:
            parts.append(_("holds a hazardous waste operating licence"))
        if not (self.operates_own_treatment or self.holds_operating_licence):
            largest = self.largest_t
            if largest >= KEY_THRESHOLD_T:
                parts.append(_("at least %(t)s t a year") % {"t": KEY_THRESHOLD_T})
            elif largest >= SIMPLIFIED_THRESHOLD_T:
                parts.append(_("at least %(t)s t a year") % {"t": SIMPLIFIED_THRESHOLD_T})
            else:
                parts.append(_("less than %(t)s t a year") % {"t": SIMPLIFIED_THRESHOLD_T})
        return "; ".join(str(part) for part in parts)


def _lock(enterprise: Enterprise) -> Enterprise:
    # Lock first: the yearly job and an officer's override of the same enterprise must not interleave.
    return Enterprise.objects.select_for_update().select_related("park").get(pk=enterprise.pk)


def latest_derivation(enterprise: Enterprise) -> ManagementClassChange | None:
    return (
        ManagementClassChange.objects.filter(enterprise=enterprise, source=ClassChangeSource.DERIVED)
        .order_by("-at", "-id")
        .first()
    )


def _set_class(enterprise: Enterprise, new_class: str, *, actor: User | None, overridden: bool) -> None:
    enterprise.management_class = new_class
    enterprise.management_class_overridden = overridden
    enterprise._history_user = actor
    # The enterprise's own history keeps a short note (its column holds 100 characters); the class history
    # keeps the whole reason.
    enterprise._change_reason = (_("Management class: %(class)s") % {"class": ManagementClass(new_class).label})[:100]
    enterprise.save(update_fields=["management_class", "management_class_overridden"])


@transaction.atomic
def record_derived_class(
    *, enterprise: Enterprise, grounds: ClassGrounds, actor: User | None, occasion: str, at: datetime | None = None
) -> ManagementClassChange | None:
    """Apply the class the rule gives on `grounds` (unless an officer's class stands) and record it.

    A step is written when the class in force changes, when the derived class differs from the last
    one recorded, or on the first derivation; a derivation that changes nothing writes nothing, so the
    yearly job may run twice. `occasion` says what caused it (verification, the yearly review)."""
    enterprise = _lock(enterprise)
    derived = grounds.derived()
    previous = latest_derivation(enterprise)
    before = enterprise.management_class
    after = before if enterprise.management_class_overridden else derived
    if previous is not None and previous.derived_class == derived and after == before:
        return None
    reason = f"{occasion}: {grounds.explanation()}"
    if enterprise.management_class_overridden and derived != before:
        reason += " " + _("(the class set by an officer stays in force until an officer lifts it)")
    first, last = grounds.years
    change = ManagementClassChange.objects.create(
        enterprise=enterprise,
        source=ClassChangeSource.DERIVED,
        from_class=before,
        to_class=after,
        derived_class=derived,
        largest_annual_t=grounds.largest_t,
        first_year=first,
        last_year=last,
        operates_own_treatment=grounds.operates_own_treatment,
        holds_operating_licence=grounds.holds_operating_licence,
        reason=reason,
        actor=actor,
        at=at or timezone.now(),
    )
    if after != before:
        _set_class(enterprise, after, actor=actor, overridden=enterprise.management_class_overridden)
    return change


def _officer_step(enterprise: Enterprise, officer: User, reason: str) -> tuple[Enterprise, str]:
    enterprise = _lock(enterprise)
    scope_of(officer).require_officer_of(
        enterprise.park, _("Only an officer of this enterprise's park may set its management class.")
    )
    reason = reason.strip()
    if not reason:
        raise RuleViolation(
            _("Say why: an officer's change of the management class needs a reason."),
            code="reason_required",
            fields={"reason": [_("Required.")]},
        )
    return enterprise, reason


@transaction.atomic
def override_management_class(
    *, enterprise: Enterprise, officer: User, management_class: str, reason: str
) -> ManagementClassChange:
    """An officer sets the class, with the reason; it stands until an officer lifts it."""
    if management_class not in ManagementClass.values:
        raise RuleViolation(
            _("Choose a management class."), code="invalid_class", fields={"management_class": [_("Unknown class.")]}
        )
    enterprise, reason = _officer_step(enterprise, officer, reason)
    previous = latest_derivation(enterprise)
    change = ManagementClassChange.objects.create(
        enterprise=enterprise,
        source=ClassChangeSource.OVERRIDE,
        from_class=enterprise.management_class,
        to_class=management_class,
        derived_class=previous.derived_class if previous else enterprise.management_class,
        reason=reason,
        actor=officer,
        at=timezone.now(),
    )
    _set_class(enterprise, management_class, actor=officer, overridden=True)
    return change


@transaction.atomic
def lift_class_override(*, enterprise: Enterprise, officer: User, reason: str) -> ManagementClassChange:
    """An officer lifts the override: the latest derived class applies again (the class in force stays
    when the enterprise was never derived)."""
    enterprise, reason = _officer_step(enterprise, officer, reason)
    if not enterprise.management_class_overridden:
        raise RuleViolation(
            _("%(name)s's class was not set by an officer; there is nothing to lift.") % {"name": enterprise.name},
            code="not_overridden",
        )
    previous = latest_derivation(enterprise)
    derived = previous.derived_class if previous else enterprise.management_class
    change = ManagementClassChange.objects.create(
        enterprise=enterprise,
        source=ClassChangeSource.LIFTED,
        from_class=enterprise.management_class,
        to_class=derived,
        derived_class=derived,
        reason=reason,
        actor=officer,
        at=timezone.now(),
    )
    _set_class(enterprise, derived, actor=officer, overridden=False)
    return change
