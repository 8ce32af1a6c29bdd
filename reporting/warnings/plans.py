"""Early-warning rule about annual management plans: a waste code generated this year beyond what the
enterprise's plan for the year foresaw (by more than the park's quantity tolerance)."""

from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from transfers.models import LedgerEntry, LedgerStage
from wasteparks.periods import Period

from ..models.plans import ManagementPlanLine
from ..models.thresholds import ThresholdKey
from .base import HUNDRED, TONNES, ZERO, Finding, Rule, text


class PlanExceeded(Rule):
    """The lines of this year's filed plans (submitted or accepted) whose code's generated tonnes in the
    year so far exceed the planned generation by more than the quantity tolerance. One query."""

    code = "PLAN_EXCEEDED"
    message_zh = "{enterprise} {year} 年 {waste_code} 产生量 {actual} 吨，超过管理计划的 {planned} 吨。"
    message_en = "{enterprise} generated {actual} t of {waste_code} in {year}, beyond the {planned} t of its plan."

    def findings(self, ctx):
        year = Period.year_of(ctx.today.year)
        generated = (
            LedgerEntry.objects.filter(
                enterprise=OuterRef("plan__enterprise"),
                waste_code=OuterRef("waste_code"),
                stage=LedgerStage.GENERATED,
                occurred_at__gte=year.start,
                occurred_at__lt=year.end,
            )
            .order_by()
            .values("waste_code")
            .annotate(total=Sum("quantity_t"))
            .values("total")
        )
        lines = (
            ManagementPlanLine.objects.filter(plan__year=year.year, plan__status__in=["submitted", "accepted"])
            .annotate(actual=Coalesce(Subquery(generated, output_field=TONNES), Value(ZERO, output_field=TONNES)))
            .values(
                "plan_id",
                "plan__enterprise_id",
                "plan__enterprise__name",
                "plan__enterprise__park_id",
                "waste_code__code",
                "generation_t",
                "actual",
            )
        )
        result = []
        for row in lines:
            tolerance = ctx.thresholds.for_park(row["plan__enterprise__park_id"])[ThresholdKey.QUANTITY_TOLERANCE]
            planned, actual = row["generation_t"], row["actual"]
            if actual <= planned * (1 + tolerance):
                continue
            result.append(
                Finding(
                    dedup_key=self.key(row["plan_id"], row["waste_code__code"]),
                    park_id=row["plan__enterprise__park_id"],
                    enterprise_id=row["plan__enterprise_id"],
                    params={
                        "enterprise": row["plan__enterprise__name"],
                        "year": year.year,
                        "waste_code": row["waste_code__code"],
                        "actual": actual,
                        "planned": planned,
                    },
                    evidence={
                        "year": year.year,
                        "waste_code": row["waste_code__code"],
                        "planned_generation_t": text(planned),
                        "generated_t": text(actual),
                        "tolerance_pct": text(tolerance * HUNDRED),
                    },
                )
            )
        return result
