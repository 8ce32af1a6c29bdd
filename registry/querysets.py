"""Row-set verbs for the registry. Every queryset answers visible_to(user) through registry.tenancy."""

from datetime import date, timedelta

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Substr

from wasteparks.periods import Period

from .rules import CLASSES_OWING, NEVER_IN_FORCE, LicenceStatus, report_kind_of
from .tenancy import NOTHING, scope_of

VALID = LicenceStatus.VALID
AWAITING = (LicenceStatus.APPLIED, LicenceStatus.PENDING)


class CatalogueQuerySet(models.QuerySet):
    """The catalogue is public reference data: every signed-in user and client may read it."""

    def visible_to(self, user):
        return self if user is not None and user.is_authenticated else self.none()

    def active(self):
        return self.filter(active=True)

    def in_code_order(self):
        """Ordered by code as people count: D9 before D10, R2 before R15 (the letter, then the number's
        length, then the code), where plain text order would give D1, D10, D16, D9."""
        return self.order_by(Substr("code", 1, 1), Length("code"), "code")


class ParkQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        condition = scope.q(park="", enterprise=None)
        if scope.member_park_ids:
            # Enterprise staff see the park they belong to (its name, target), not its other enterprises.
            condition |= Q(pk__in=scope.member_park_ids)
        return self.filter(condition)

    def in_province(self, province_code: str):
        return self.filter(division__province_code=province_code)


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="park", enterprise=""))

    def active(self):
        return self.filter(status="active")

    def pending_verification(self):
        """Registrations an officer has still to verify, the oldest first."""
        return self.filter(status="pending").order_by("created_at", "pk")

    def receivers(self):
        return self.filter(is_receiver=True)

    def carriers(self):
        return self.filter(is_carrier=True)

    def generators(self):
        return self.filter(is_generator=True)

    def must_file(self, period: Period):
        """The enterprises that owe a report for `period`: the one rule used by the reminders, the
        dashboard's compliance card, the REPORT_MISSING warning and the API alike. The period says which
        report (rules.report_kind_of: a month the monthly report, a quarter the quarterly, a year the
        annual one); the class says who owes it (rules.CLASSES_OWING, HJ 1259-2022).

        Active generators and receivers (a carrier only moves others' waste: its loads are on the
        manifests of the parties) of an owing class, registered before the period ended: a period before
        an enterprise existed on the platform is owed by nobody. The class is the one in force now.
        """
        kind = report_kind_of(period)
        if kind is None:
            return self.none()
        return self.active().filter(
            Q(is_generator=True) | Q(is_receiver=True),
            created_at__lt=period.end,
            management_class__in=CLASSES_OWING[kind],
        )


class FacilityQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def storage(self):
        """Storage places: every facility but the treatment installations."""
        from .models import TREATMENT_KINDS  # models import this module

        return self.exclude(kind__in=TREATMENT_KINDS)


class PermitQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def valid_on(self, day: date):
        """Permits in force on `day`: granted or verified, neither suspended nor revoked, within their dates."""
        return self.filter(status=VALID, revoked_at__isnull=True, valid_from__lte=day, valid_to__gte=day)

    def expiring_within(self, today: date, days: int):
        return self.filter(
            status=VALID, revoked_at__isnull=True, valid_to__gte=today, valid_to__lte=today + timedelta(days=days)
        )

    def awaiting_decision(self):
        """Applications and recorded licences an officer has still to decide or verify."""
        return self.filter(status__in=AWAITING)


class PermitLineQuerySet(models.QuerySet):
    def covering(self, waste_code, category=None):
        """Licence lines that cover a waste code: lines naming the code itself or its whole category.

        `waste_code` is a WasteCode, or an expression (OuterRef) in a subquery, with `category` the
        expression of that code's category."""
        if category is None:
            category = waste_code.category_id
        return self.filter(Q(waste_code=waste_code) | Q(category=category))

    def in_force_on(self, day):
        """Lines of permits valid and not revoked on `day` (a date, or an expression in a subquery)."""
        return self.filter(
            permit__status=VALID,
            permit__revoked_at__isnull=True,
            permit__valid_from__lte=day,
            permit__valid_to__gte=day,
        )

    def ever_in_force(self):
        """Lines of permits that were in force at some time: not applications, unverified records or refusals
        (a revoked or suspended licence covered what it received before)."""
        return self.exclude(permit__status__in=NEVER_IN_FORCE)


class TransferApprovalQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        return self.filter(
            scope.q(park="consignor__park", enterprise="consignor")
            | scope.q(park="receiver__park", enterprise="receiver")
        )

    def valid_on(self, day: date):
        """Approvals granted (or verified), neither suspended nor revoked, within their dates on `day`."""
        return self.filter(status=VALID, valid_from__lte=day, valid_to__gte=day)

    def granted(self):
        return self.filter(status=VALID)

    def awaiting_decision(self):
        return self.filter(status__in=AWAITING)


class TransferFilingQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        return self.filter(
            scope.q(park="consignor__park", enterprise="consignor")
            | scope.q(park="receiver__park", enterprise="receiver")
        )

    def valid_on(self, day: date):
        return self.filter(valid_from__lte=day, valid_to__gte=day)

    def covering(self, *, consignor_id: int, receiver_id: int, waste_code_ids: set[int], day: date):
        """Filings in force on `day` from the consignor to the receiver for any of the codes."""
        return self.valid_on(day).filter(
            consignor_id=consignor_id, receiver_id=receiver_id, waste_code_id__in=waste_code_ids
        )


__all__ = [
    "NOTHING",
    "CatalogueQuerySet",
    "EnterpriseQuerySet",
    "FacilityQuerySet",
    "ParkQuerySet",
    "PermitLineQuerySet",
    "PermitQuerySet",
    "TransferApprovalQuerySet",
    "TransferFilingQuerySet",
]
