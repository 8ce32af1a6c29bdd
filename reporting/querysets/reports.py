"""Monthly waste reports: row-set verbs, and the SQL aggregations that prefill and sum them."""

from decimal import Decimal

from django.db import models
from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from registry.models import MethodKind
from registry.rules import ReportKind
from registry.tenancy import scope_of
from wasteparks.periods import Period

from ..rules.reports import FIGURES, ReportStatus, column

_TONNES = DecimalField(max_digits=14, decimal_places=4)
_TOTAL = DecimalField(max_digits=20, decimal_places=4)
ZERO = Decimal("0.0000")


def _sum(expression, condition: Q):
    return Coalesce(Sum(expression, filter=condition, output_field=_TOTAL), Value(ZERO, output_field=_TOTAL))


class MonthlyReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The enterprise's own members, and the officers of its park or province."""
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def for_period(self, period: Period):
        """The reports of `period`: a month's monthly reports, a quarter's quarterly, a year's annual."""
        return self.filter(year=period.year, month=period.month, report_kind=period.length)

    def of_park(self, park_id: int):
        return self.filter(enterprise__park_id=park_id)

    def filed(self):
        """Submitted at least once (a returned report was filed, and its lateness decided)."""
        return self.filter(first_submitted_at__isnull=False)

    def with_details(self):
        from ..models.reports import MonthlyReportEvent, MonthlyReportLine

        return self.select_related("enterprise", "current_revision", "submitted_by", "reviewed_by").prefetch_related(
            models.Prefetch(
                "current_revision__lines",
                queryset=MonthlyReportLine.objects.select_related("waste_code").order_by("waste_code__code"),
            ),
            models.Prefetch("events", queryset=MonthlyReportEvent.objects.select_related("actor")),
        )


class MonthlyReportLineQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(
            scope_of(user).q(park="revision__report__enterprise__park", enterprise="revision__report__enterprise")
        )

    def current(self):
        """Lines of each report's current revision (the figures that stand)."""
        return self.filter(revision__report__current_revision=F("revision"))

    def annual_summary(self, *, enterprise_id: int, year: int):
        """Per waste code, the sum of the accepted monthly reports of `year` (one query).

        Opening stock is the January report's opening and closing stock the last accepted month's
        closing; the movements add up over the months.
        """
        from ..models.reports import MonthlyReportLine

        accepted = (
            self.current()
            .filter(
                revision__report__enterprise_id=enterprise_id,
                revision__report__year=year,
                revision__report__report_kind=ReportKind.MONTHLY,
                revision__report__status=ReportStatus.ACCEPTED,
            )
            .order_by()
        )
        last_month = (
            MonthlyReportLine.objects.current()
            .filter(
                revision__report__enterprise_id=enterprise_id,
                revision__report__year=year,
                revision__report__report_kind=ReportKind.MONTHLY,
                revision__report__status=ReportStatus.ACCEPTED,
                waste_code_id=models.OuterRef("waste_code_id"),
            )
            .order_by("-revision__report__month")
        )
        first_month = last_month.order_by("revision__report__month")
        movements = {name: Sum(column(name)) for name in FIGURES if name not in ("opening_stock", "closing_stock")}
        return (
            accepted.values("waste_code_id", "waste_code__code", "waste_code__waste_class")
            .annotate(
                months=models.Count("revision__report", distinct=True),
                opening_stock=models.Subquery(first_month.values("opening_stock_t")[:1], output_field=_TONNES),
                closing_stock=models.Subquery(last_month.values("closing_stock_t")[:1], output_field=_TONNES),
                **movements,
            )
            .order_by("waste_code__code")
        )


class ReportReminderQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope_of(user).q(park="enterprise__park", enterprise="enterprise"))

    def for_period(self, period: Period):
        return self.filter(year=period.year, month=period.month, report_kind=period.length)


def ledger_figures(*, enterprise_id: int, period: Period) -> dict[int, dict[str, Decimal]]:
    """What the ledger says of `period` for one enterprise, per waste code id, in one SQL query.

    - `stock_before`: the signed sum of every entry before the month (the ledger-derived opening stock).
    - generated / received / utilized_in_house / disposed_in_house: entries of those stages in the month.
      A load refused by its receiver comes back as a received entry, so it appears as received.
    - shipped entries in the month, split by where the tonnes end: the method the receiver recorded on
      the manifest line when it has been treated, else the manifest's purpose. A utilization method or
      purpose counts as shipped for utilization; disposal, and storage (S1, or a storage purpose: the
      waste is not yet utilized), count as shipped for disposal, so nothing inflates the utilization rate.
    - stored_in / stored_out are the legs of a move between the enterprise's own stores; they are not in
      the report, and in `stock_before` a move's legs net to zero. The stock counts every entry with the
      sign transfers.querysets.signed_quantity gives it, the one rule the stock balances are checked by.
    Codes with no stock and no movement are left out.
    """
    from transfers.models import LedgerEntry, LedgerStage
    from transfers.querysets import signed_quantity

    start, end = period.start, period.end
    in_month = Q(occurred_at__gte=start)

    # Treated: the method the receiver recorded decides; not yet treated: the manifest's purpose.
    def ends_in(*kinds: str) -> Q:
        return Q(manifest_line__treatment_method__kind__in=kinds) | Q(
            manifest_line__treatment_method__isnull=True, manifest_line__manifest__purpose__in=kinds
        )

    for_utilization = ends_in(MethodKind.UTILIZATION)
    for_disposal = ends_in(MethodKind.DISPOSAL, MethodKind.STORAGE)
    shipped = in_month & Q(stage=LedgerStage.SHIPPED)
    sums = {
        "stock_before": _sum(signed_quantity(), Q(occurred_at__lt=start)),
        "generated": _sum("quantity_t", in_month & Q(stage=LedgerStage.GENERATED)),
        "received": _sum("quantity_t", in_month & Q(stage=LedgerStage.RECEIVED)),
        "utilized_in_house": _sum("quantity_t", in_month & Q(stage=LedgerStage.UTILIZED_IN_HOUSE)),
        "disposed_in_house": _sum("quantity_t", in_month & Q(stage=LedgerStage.DISPOSED_IN_HOUSE)),
        "shipped_for_utilization": _sum("quantity_t", shipped & for_utilization),
        "shipped_for_disposal": _sum("quantity_t", shipped & for_disposal),
    }
    rows = (
        LedgerEntry.objects.filter(enterprise_id=enterprise_id, occurred_at__lt=end)
        .order_by()
        .values("waste_code_id")
        .annotate(**sums)
        .values_list("waste_code_id", *sums)
    )
    result: dict[int, dict[str, Decimal]] = {}
    for code_id, *values in rows:
        if any(values):
            result[code_id] = dict(zip(sums, values, strict=True))
    return result


def filed_closing_stock(*, enterprise_id: int, period: Period) -> dict[int, Decimal] | None:
    """The closing stock per waste code id of the period's report as last filed: its accepted revision,
    else its latest submitted one. None when the period has no filed report (use the ledger instead)."""
    from ..models.reports import MonthlyReportLine, MonthlyReportRevision

    revision = (
        MonthlyReportRevision.objects.filter(
            report__enterprise_id=enterprise_id,
            report__year=period.year,
            report__month=period.month,
            report__report_kind=period.length,
            submitted_at__isnull=False,
        )
        .order_by("-number")
        .values("pk")
        .first()
    )
    if revision is None:
        return None
    return dict(
        MonthlyReportLine.objects.filter(revision_id=revision["pk"]).values_list("waste_code_id", "closing_stock_t")
    )
