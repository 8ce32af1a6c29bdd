"""Early-warning rules about reports: a monthly, quarterly or annual report not filed by its deadline, and
a filed report whose totals disagree with the manifests."""

from django.db.models import Exists, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from registry.models import Enterprise
from registry.rules import ReportKind, filing_deadline, latest_ended_period
from transfers.models import LedgerEntry, LedgerStage
from wasteparks.periods import Period

from ..models.reports import MonthlyReport, MonthlyReportLine
from ..models.thresholds import ThresholdKey
from ..rules.reports import FILED_STATUSES
from .base import HUNDRED, TONNES, ZERO, Finding, Rule, text


class ReportMissing(Rule):
    """Enterprises that must file (Enterprise.objects.must_file) with no filed report (submitted at least
    once) for a period whose deadline has passed: monthly, quarterly and annual reports alike, over the
    periods whose deadline fell within as many past months as their park looks back (the month of the
    deadline counts as the first)."""

    code = "REPORT_MISSING"
    message_zh = "{enterprise} 未在 {deadline} 前提交 {period} {report_zh}。"
    message_en = "{enterprise} has not filed its {report_en} for {period}, due on {deadline}."
    REPORTS = {
        ReportKind.MONTHLY: ("月报", "monthly report"),
        ReportKind.QUARTERLY: ("季度报告", "quarterly report"),
        ReportKind.ANNUAL: ("年度报告", "annual report"),
    }

    def findings(self, ctx):
        thresholds = ctx.thresholds
        lookback = thresholds.largest(ThresholdKey.REPORT_LOOKBACK_MONTHS)
        this_month = Period.containing(ctx.today).first_index
        result = []
        for kind in ReportKind:
            period = latest_ended_period(kind, ctx.today)
            while True:
                deadline = filing_deadline(period)
                months_back = this_month - Period.containing(deadline).first_index
                if months_back >= lookback:
                    break
                if ctx.today > deadline:
                    result += self._missing(ctx, kind, period, deadline, months_back)
                period = period.previous()
        return result

    def _missing(self, ctx, kind, period, deadline, months_back) -> list[Finding]:
        filed = MonthlyReport.objects.for_period(period).filter(
            enterprise=OuterRef("pk"), first_submitted_at__isnull=False
        )
        missing = Enterprise.objects.must_file(period).filter(~Exists(filed))
        report_zh, report_en = self.REPORTS[kind]
        result = []
        for row in missing.values("pk", "name", "park_id"):
            if months_back >= ctx.thresholds.for_park(row["park_id"])[ThresholdKey.REPORT_LOOKBACK_MONTHS]:
                continue
            result.append(
                Finding(
                    dedup_key=self.key(row["pk"], str(period)),
                    park_id=row["park_id"],
                    enterprise_id=row["pk"],
                    params={
                        "enterprise": row["name"],
                        "period": str(period),
                        "deadline": deadline,
                        "report_zh": report_zh,
                        "report_en": report_en,
                    },
                    evidence={
                        "period": str(period),
                        "report_kind": int(kind),
                        "deadline": text(deadline),
                        "days_late": (ctx.today - deadline).days,
                    },
                )
            )
        return result


class ReportMismatch(Rule):
    """A filed report (submitted or accepted) whose shipped or received totals differ from the ledger's
    manifest entries of that month by more than the tolerance: shipped = the shipped entries (pickups);
    received = the received entries of manifests it received (returns of its own refused loads excluded)."""

    code = "REPORT_MISMATCH"
    message_zh = "{enterprise} {period} 月报：{figure_zh}填报 {reported} 吨，联单记录 {recorded} 吨。"
    message_en = (
        "{enterprise}'s report for {period}: {figure_en} reported {reported} t, the manifests say {recorded} t."
    )
    FIGURES = (
        ("shipped", "转移量", "shipped"),
        ("received", "接收量", "received"),
    )

    def findings(self, ctx):
        # Monthly reports: their month is what the ledger sums below cover.
        reports = MonthlyReport.objects.filter(
            status__in=FILED_STATUSES, current_revision__isnull=False, report_kind=ReportKind.MONTHLY
        ).annotate(
            reported_shipped=_report_sum(F("shipped_for_utilization_t") + F("shipped_for_disposal_t")),
            reported_received=_report_sum(F("received_t")),
            recorded_shipped=_ledger_sum(stage=LedgerStage.SHIPPED),
            recorded_received=_ledger_sum(
                stage=LedgerStage.RECEIVED, manifest_line__manifest__receiver=OuterRef("enterprise")
            ),
        )
        result = []
        for row in reports.values(
            "pk",
            "enterprise_id",
            "enterprise__name",
            "enterprise__park_id",
            "year",
            "month",
            "reported_shipped",
            "reported_received",
            "recorded_shipped",
            "recorded_received",
        ):
            period = str(Period.month_of(row["year"], row["month"]))
            tolerance = ctx.thresholds.for_park(row["enterprise__park_id"])[ThresholdKey.QUANTITY_TOLERANCE]
            for name, label_zh, label_en in self.FIGURES:
                reported, recorded = row[f"reported_{name}"], row[f"recorded_{name}"]
                if abs(reported - recorded) <= tolerance * recorded:
                    continue
                result.append(
                    Finding(
                        dedup_key=self.key(row["pk"], name),
                        park_id=row["enterprise__park_id"],
                        enterprise_id=row["enterprise_id"],
                        report_id=row["pk"],
                        params={
                            "enterprise": row["enterprise__name"],
                            "period": period,
                            "figure_zh": label_zh,
                            "figure_en": label_en,
                            "reported": reported,
                            "recorded": recorded,
                        },
                        evidence={
                            "period": period,
                            "figure": name,
                            "reported_t": text(reported),
                            "recorded_t": text(recorded),
                            "tolerance_pct": text(tolerance * HUNDRED),
                        },
                    )
                )
        return result


def _report_sum(expression):
    """The sum of `expression` over the lines of the report's current revision (0 without lines)."""
    return Coalesce(
        Subquery(
            MonthlyReportLine.objects.filter(revision=OuterRef("current_revision"))
            .order_by()
            .values("revision")
            .annotate(total=Sum(expression))
            .values("total"),
            output_field=TONNES,
        ),
        Value(ZERO, output_field=TONNES),
    )


def _ledger_sum(**filters):
    """The sum of the report enterprise's ledger entries of the report's month matching `filters`."""
    return Coalesce(
        Subquery(
            LedgerEntry.objects.filter(
                enterprise=OuterRef("enterprise"),
                occurred_at__year=OuterRef("year"),
                occurred_at__month=OuterRef("month"),
                **filters,
            )
            .order_by()
            .values("enterprise")
            .annotate(total=Sum("quantity_t"))
            .values("total"),
            output_field=TONNES,
        ),
        Value(ZERO, output_field=TONNES),
    )
