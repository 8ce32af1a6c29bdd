"""Row-set verbs for the registry. Every queryset answers visible_to(user) through registry.tenancy."""

from datetime import date, timedelta

from django.db import models
from django.db.models import Q

from wasteparks.periods import Period

from .tenancy import NOTHING, scope_of


class CatalogueQuerySet(models.QuerySet):
    """The catalogue is public reference data: every signed-in user and client may read it."""

    def visible_to(self, user):
        return self if user is not None and user.is_authenticated else self.none()

    def active(self):
        return self.filter(active=True)


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

    def receivers(self):
        return self.filter(is_receiver=True)

    def carriers(self):
        return self.filter(is_carrier=True)

    def generators(self):
        return self.filter(is_generator=True)

    def must_file(self, period: Period):
        """The enterprises that owe a monthly report for `period`: the one rule used by the reminders,
        the dashboard's compliance card, the REPORT_MISSING warning and the API alike.

        Active generators and receivers (a carrier only moves others' waste, DESIGN 5.3) registered
        before the period ended: a month before an enterprise existed on the platform is owed by nobody.
        """
        return self.active().filter(Q(is_generator=True) | Q(is_receiver=True), created_at__lt=period.end)


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
        return self.filter(revoked_at__isnull=True, valid_from__lte=day, valid_to__gte=day)

    def expiring_within(self, today: date, days: int):
        return self.filter(revoked_at__isnull=True, valid_to__gte=today, valid_to__lte=today + timedelta(days=days))


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
        return self.filter(permit__revoked_at__isnull=True, permit__valid_from__lte=day, permit__valid_to__gte=day)


class TransferApprovalQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        return self.filter(
            scope.q(park="consignor__park", enterprise="consignor")
            | scope.q(park="receiver__park", enterprise="receiver")
        )

    def valid_on(self, day: date):
        return self.filter(valid_from__lte=day, valid_to__gte=day)


__all__ = [
    "NOTHING",
    "CatalogueQuerySet",
    "EnterpriseQuerySet",
    "FacilityQuerySet",
    "ParkQuerySet",
    "PermitLineQuerySet",
    "PermitQuerySet",
    "TransferApprovalQuerySet",
]
