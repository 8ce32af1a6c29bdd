"""Row-set verbs for the ledger, stock and manifests. Tenancy goes through registry.tenancy only."""

from datetime import date

from django.db import models
from django.db.models import Case, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When, Window
from django.db.models.functions import Coalesce

from registry.tenancy import scope_of

_TONNES = DecimalField(max_digits=14, decimal_places=4)


class LedgerEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def inflows(self):
        from .models import INFLOW_STAGES

        return self.filter(stage__in=INFLOW_STAGES)

    def in_year(self, year: int):
        return self.filter(occurred_at__year=year)


class StockBalanceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def on_hand(self):
        return self.filter(quantity_t__gt=0)

    def with_oldest_on_hand(self):
        """Annotate `oldest_on_hand_at`: when the oldest tonne still on hand came in (FIFO).

        Outflows consume the earliest inflows first (by occurred_at, then id). The oldest tonne on hand
        is therefore in the first inflow whose running total exceeds everything taken out so far; a
        window function gives the running total, so the whole list is one query.
        """
        from .models import LedgerEntry

        running = (
            LedgerEntry.objects.inflows()
            .filter(
                enterprise_id=OuterRef(OuterRef("enterprise_id")),
                facility_id=OuterRef(OuterRef("facility_id")),
                waste_code_id=OuterRef(OuterRef("waste_code_id")),
            )
            .annotate(
                running_in=Window(Sum("quantity_t"), order_by=[F("occurred_at").asc(), F("id").asc()]),
            )
            .values("id", "occurred_at", "running_in")
        )
        # The window must be computed over all the key's inflows before filtering on it; wrapping it in
        # an outer subquery does that.
        oldest = (
            LedgerEntry.objects.filter(
                pk__in=Subquery(running.filter(running_in__gt=OuterRef(OuterRef("total_out_t"))).values("id"))
            )
            .order_by("occurred_at", "id")
            .values("occurred_at")[:1]
        )
        return self.annotate(
            oldest_on_hand_at=Case(When(quantity_t__gt=0, then=Subquery(oldest)), default=None),
        )

    def with_ledger_total(self):
        """Annotate `ledger_total_t`: the signed sum of the ledger entries behind each balance."""
        from .models import INFLOW_STAGES, LedgerEntry

        signed = Case(
            When(stage__in=INFLOW_STAGES, then=F("quantity_t")),
            default=-F("quantity_t"),
            output_field=_TONNES,
        )
        total = (
            LedgerEntry.objects.filter(
                enterprise_id=OuterRef("enterprise_id"),
                facility_id=OuterRef("facility_id"),
                waste_code_id=OuterRef("waste_code_id"),
            )
            .order_by()
            .values("enterprise_id")
            .annotate(total=Sum(signed))
            .values("total")
        )
        return self.annotate(ledger_total_t=Coalesce(Subquery(total, output_field=_TONNES), Value(0, _TONNES)))

    def drifted(self):
        """Balances that differ from their ledger: always empty unless something bypassed the services."""
        return self.with_ledger_total().exclude(quantity_t=F("ledger_total_t"))


class ManifestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Members of any of the three parties, and officers of any party's park."""
        scope = scope_of(user)
        return self.filter(
            scope.q(park="consignor__park", enterprise="consignor")
            | scope.q(park="carrier__park", enterprise="carrier")
            | scope.q(park="receiver__park", enterprise="receiver")
        )

    def involving(self, enterprise_id: int):
        return self.filter(Q(consignor_id=enterprise_id) | Q(carrier_id=enterprise_id) | Q(receiver_id=enterprise_id))

    def in_transit(self):
        from .models import ManifestStatus

        return self.filter(status=ManifestStatus.IN_TRANSIT)

    def with_code(self, code: str, *, prefix: bool = False):
        """Manifests with a line of this waste code (or, with `prefix`, of a code starting with it)."""
        from .models import ManifestLine

        lookup = "waste_code__code__startswith" if prefix else "waste_code__code"
        return self.filter(pk__in=ManifestLine.objects.filter(**{lookup: code}).values("manifest_id"))

    def planned_between(self, start: date | None, end: date | None):
        queryset = self
        if start:
            queryset = queryset.filter(planned_date__gte=start)
        if end:
            queryset = queryset.filter(planned_date__lte=end)
        return queryset
