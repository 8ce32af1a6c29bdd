"""The grounds of an enterprise's HJ 1259-2022 management class, read from the ledger, its installations
and its licences, handed to registry (registry/classes.py), which applies and records the class.

HJ 1259-2022 classes a site by the largest annual quantity of hazardous waste it generated over the last
three years, and makes it key supervised whatever the quantity when it runs its own utilization or
disposal installation or holds a hazardous waste operating licence. Counted here: the generated entries
of hazardous codes (reversals included, so a corrected entry counts as corrected) in each of the three
calendar years before `today`'s and in `today`'s own year to date, since a quantity reached this year
already puts the site in its class. Medical waste is left out: its producers are managed under the
Regulations on the Management of Medical Waste, not this standard's classes.
"""

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from registry.classes import ClassGrounds, record_derived_class
from registry.models import TREATMENT_KINDS, Enterprise, ManagementClassChange, PermitKind, User, WasteClass
from registry.signals import enterprise_verified
from wasteparks.periods import Period, local_date

from ..models import LedgerEntry, LedgerStage

YEARS_COUNTED = 3
_TOTAL = DecimalField(max_digits=20, decimal_places=4)


def class_grounds(*, enterprise: Enterprise, today: date) -> ClassGrounds:
    """The hazardous tonnes generated per year (the last three years and this one so far, one query), and
    whether the enterprise runs a treatment installation or holds an operating licence on `today`."""
    years = range(today.year - YEARS_COUNTED, today.year + 1)
    sums = {
        f"y{year}": Coalesce(
            Sum(
                "quantity_t",
                filter=Q(occurred_at__gte=Period.year_of(year).start, occurred_at__lt=Period.year_of(year).end),
                output_field=_TOTAL,
            ),
            Value(Decimal("0"), output_field=_TOTAL),
        )
        for year in years
    }
    totals = LedgerEntry.objects.filter(
        enterprise=enterprise,
        stage=LedgerStage.GENERATED,
        waste_code__waste_class=WasteClass.HAZARDOUS,
        occurred_at__gte=Period.year_of(years[0]).start,
    ).aggregate(**sums)
    return ClassGrounds(
        annual_hazardous_t={year: totals[f"y{year}"] for year in years},
        operates_own_treatment=enterprise.facilities.filter(kind__in=TREATMENT_KINDS, active=True).exists(),
        holds_operating_licence=enterprise.permits.filter(kind=PermitKind.HAZARDOUS_OPERATING).valid_on(today).exists(),
    )


def derive_management_class(
    *, enterprise: Enterprise, actor: User | None, occasion: str, today: date | None = None
) -> ManagementClassChange | None:
    """Derive the enterprise's class now and record it (registry.classes.record_derived_class)."""
    today = today or local_date()
    return record_derived_class(
        enterprise=enterprise,
        grounds=class_grounds(enterprise=enterprise, today=today),
        actor=actor,
        occasion=occasion,
    )


def _on_verified(sender, *, enterprise: Enterprise, officer: User, **kwargs) -> None:
    derive_management_class(enterprise=enterprise, actor=officer, occasion=_("Registration verified"))


def connect() -> None:
    """Derive the class when an officer verifies a registration (called from TransfersConfig.ready)."""
    enterprise_verified.connect(_on_verified, sender=Enterprise, dispatch_uid="transfers.classes.on_verified")
