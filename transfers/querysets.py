"""Row-set verbs for the ledger, stock and manifests. Tenancy goes through registry.tenancy only."""

from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, RowRange, Subquery, Sum, Value, When, Window
from django.db.models.functions import Coalesce

from registry.tenancy import scope_of

_TONNES = DecimalField(max_digits=14, decimal_places=4)


def signed_quantity() -> Case:
    """What an entry does to the stock of its key: its quantity for an inflow stage, the negative for an
    outflow (a reversing entry carries its own sign). The one rule every sum over the ledger uses."""
    from .models import INFLOW_STAGES

    return Case(When(stage__in=INFLOW_STAGES, then=F("quantity_t")), default=-F("quantity_t"), output_field=_TONNES)


def in_stock_since() -> Coalesce:
    """When an inflow's tonnes first came into stock: a moved-in leg keeps the time its tonnes came into the
    enterprise (`stock_since`), anything else came in when it occurred. Stock ages count from here."""
    return Coalesce("stock_since", "occurred_at")


class LedgerEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def inflows(self):
        from .models import INFLOW_STAGES

        return self.filter(stage__in=INFLOW_STAGES)

    def standing(self):
        """Entries that stand: neither a reversing entry nor one that was reversed (each such pair nets to
        zero, so leaving both out changes no sum and keeps a reversed inflow out of the stock's age).

        A reversal carries the time of the entry it undoes (enforced since transfers 0011), so it is looked
        for at that time too: PostgreSQL then probes one year's partition per entry, not every year's."""
        from .models import LedgerEntry

        reversal = LedgerEntry.objects.filter(reverses_id=OuterRef("pk"), occurred_at=OuterRef("occurred_at"))
        return self.filter(~Exists(reversal), reverses__isnull=True)

    def in_year(self, year: int):
        return self.filter(occurred_at__year=year)

    def batches_on_hand(self, *, enterprise_id: int, facility_id: int, waste_code_id: int, total_out_t: Decimal):
        """What is on hand at one stock key, oldest first, as (in stock since, tonnes) (FIFO).

        The outflows so far (`total_out_t`, the balance's) consumed the oldest inflows first, in the order
        with_oldest_on_hand reads them; what is left of the rest is on hand."""
        rows = (
            self.inflows()
            .standing()
            .filter(enterprise_id=enterprise_id, facility_id=facility_id, waste_code_id=waste_code_id)
            .annotate(since=in_stock_since())
            .order_by("since", "id")
            .values_list("since", "quantity_t")
        )
        consumed = total_out_t
        batches: list[tuple[datetime, Decimal]] = []
        for since, quantity in rows:
            left = quantity - min(consumed, quantity)
            consumed -= quantity - left
            if left > 0:
                batches.append((since, left))
        return batches


class StockBalanceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def on_hand(self):
        return self.filter(quantity_t__gt=0)

    def with_oldest_on_hand(self):
        """Annotate `oldest_on_hand_at`: since when the oldest tonne still on hand has been in stock (FIFO).

        Outflows consume the earliest inflows first (by the time their tonnes came into stock, then id), so
        the tonnes on hand are the newest ones: the oldest of them is in the first inflow, counting from the
        newest, at which the inflows counted reach what is on hand (the balance's total in less its total
        out). A window function keeps the count, so the whole list is one query, over the partial index of
        standing inflows `ledger_inflows_newest_first` (PostgreSQL still reads a key's whole history and
        sorts it: it estimates a key at a row or two per year, bench/RESULTS.md, fourth round).
        A tonne moved in from another store counts from when it first came into stock, not from the move
        (the storage clock does not restart), and a reversed inflow never held any tonne.
        """
        from .models import LedgerEntry

        newest_first = [in_stock_since().desc(), F("id").desc()]
        counted = (
            LedgerEntry.objects.inflows()
            .standing()
            .filter(
                enterprise_id=OuterRef("enterprise_id"),
                facility_id=OuterRef("facility_id"),
                waste_code_id=OuterRef("waste_code_id"),
            )
            .annotate(
                since=in_stock_since(),
                newer_in=Window(Sum("quantity_t"), order_by=newest_first, frame=RowRange(start=None, end=0)),
            )
        )
        # Filtering on the window makes Django compute it in a subquery first, in the index's order.
        oldest = (
            counted.filter(newer_in__gte=OuterRef("total_in_t") - OuterRef("total_out_t"))
            .order_by(*newest_first)
            .values("since")[:1]
        )
        return self.annotate(
            oldest_on_hand_at=Case(When(quantity_t__gt=0, then=Subquery(oldest)), default=None),
        )

    def with_ledger_total(self):
        """Annotate `ledger_total_t`: the signed sum of the ledger entries behind each balance."""
        from .models import LedgerEntry

        total = (
            LedgerEntry.objects.filter(
                enterprise_id=OuterRef("enterprise_id"),
                facility_id=OuterRef("facility_id"),
                waste_code_id=OuterRef("waste_code_id"),
            )
            .order_by()
            .values("enterprise_id")
            .annotate(total=Sum(signed_quantity()))
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

    def listed_for(self, user):
        """The same rows as `visible_to(user)`, for a list read newest first: `listed_at`, an alias, is the
        manifest's creation time, taken where the newest are read first. An officer of one park reads that
        park's manifests through their park links (ManifestPark), newest first from the links' index,
        instead of scanning the province's newest manifests for the park's."""
        if (park_id := scope_of(user).sole_park_id) is not None:
            return self.filter(park_links__park_id=park_id).alias(listed_at=F("park_links__created_at"))
        return self.visible_to(user).alias(listed_at=F("created_at"))

    def involving(self, enterprise_id: int):
        return self.filter(Q(consignor_id=enterprise_id) | Q(carrier_id=enterprise_id) | Q(receiver_id=enterprise_id))

    def as_rows_of_a_list(self):
        """Only what a row of a manifest list shows (the manifest list, an enterprise's recent manifests),
        the parties by name (`consignor_name`, `carrier_name`, `receiver_name`): full rows of 50 manifests
        and their three parties were most of a list page's time at province scale (bench/RESULTS.md, B5).
        A field left out is read one query per row if a template asks for it."""
        return self.select_related(None).only(
            "number", "status", "waste_class", "planned_date", "submitted_at", "has_discrepancy",
            "consignor", "carrier", "receiver",
        ).annotate(
            consignor_name=F("consignor__name"), carrier_name=F("carrier__name"), receiver_name=F("receiver__name")
        )  # fmt: skip

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


class RevisionRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A revision request is seen by whoever may see its manifest."""
        from .models import Manifest

        return self.filter(manifest__in=Manifest.objects.visible_to(user).values("pk"))


class ContainerQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Members and park officers of the generator, and of the carrier and receiver of the manifest the
        container is loaded on. Every join is a forward foreign key, so no row comes twice."""
        scope = scope_of(user)
        return self.filter(
            scope.q(park="enterprise__park", enterprise="enterprise")
            | scope.q(park="manifest_line__manifest__carrier__park", enterprise="manifest_line__manifest__carrier")
            | scope.q(park="manifest_line__manifest__receiver__park", enterprise="manifest_line__manifest__receiver")
        )
