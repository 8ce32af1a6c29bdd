"""Monthly waste reports filed by enterprises: api.

`monthly-reports` lists and shows reports with the lines of their current revision and their history.
Enterprise clients create their own (for an ended month), adjust lines of a draft or returned report
with a reason, refresh the prefill and submit. Officers review in the browser, through the services.
"""

import re

import django_filters
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from registry.models import Enterprise, ManagementClass, User, WasteCode
from registry.rules import ReportKind, filing_deadline
from wasteparks.api.filters import IntegerFilter, StrictBooleanFilter, SyncFilterSet
from wasteparks.api.serializers import StrictSerializer
from wasteparks.api.viewsets import WriteViewSet
from wasteparks.errors import RuleViolation
from wasteparks.periods import Period

from ..models.reports import (
    MonthlyReport,
    MonthlyReportEvent,
    MonthlyReportLine,
    MonthlyReportRevision,
    ReportStatus,
)
from ..rules.reports import FIGURE_PLACES, FIGURES, MAX_FIGURE_T, column, expected_closing, prefill_column
from ..services import reports as services


def _figure(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=FIGURE_PLACES, min_value=0, max_value=MAX_FIGURE_T, **kwargs
    )


# --- read serializers -----------------------------------------------------------------------------


class MonthlyReportLineSerializer(serializers.ModelSerializer):
    waste_code: "serializers.SlugRelatedField[WasteCode]" = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    waste_class = serializers.CharField(
        source="waste_code.waste_class", read_only=True, help_text="Derived: the waste code's class."
    )
    is_adjusted = serializers.BooleanField(
        read_only=True, help_text="Derived: whether any figure differs from the one the ledger prefilled."
    )
    expected_closing_stock_t = serializers.SerializerMethodField(
        help_text="Derived: opening + generated + received − utilized − disposed − shipped."
    )
    balances = serializers.SerializerMethodField(
        help_text="Derived: whether closing stock equals the expected closing stock."
    )

    class Meta:
        model = MonthlyReportLine
        fields = [
            "waste_code",
            "waste_class",
            *[column(name) for name in FIGURES],
            *[prefill_column(name) for name in FIGURES],
            "is_adjusted",
            "adjustment_reason",
            "adjusted_at",
            "expected_closing_stock_t",
            "balances",
        ]

    def get_expected_closing_stock_t(self, line) -> str:
        return str(expected_closing(line.figures()))

    def get_balances(self, line) -> bool:
        return expected_closing(line.figures()) == line.closing_stock_t


def _username(**kwargs) -> "serializers.SlugRelatedField[User]":
    """A person named by username, as v1 does on reports; the `<name>_id` beside it is the reference."""
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


@extend_schema_serializer(deprecate_fields=["actor"])
class MonthlyReportEventSerializer(serializers.ModelSerializer):
    actor = _username(help_text="The actor's username (v1). Deprecated: use `actor_id`.")
    actor_id = serializers.IntegerField(read_only=True, help_text="The actor: a row of `people`.")

    class Meta:
        model = MonthlyReportEvent
        fields = ["revision", "action", "from_status", "to_status", "actor", "actor_id", "comment", "at"]


class ReturnedRevisionSerializer(serializers.ModelSerializer):
    """A revision the officer returned for correction, as it was submitted, with its figures. Every one was
    submitted and reviewed, so none of these is null."""

    submitted_by_id = serializers.IntegerField(read_only=True, help_text="Who submitted it: a row of `people`.")
    submitted_at = serializers.DateTimeField(read_only=True)
    reviewed_by_id = serializers.IntegerField(read_only=True, help_text="Who returned it: a row of `people`.")
    reviewed_at = serializers.DateTimeField(read_only=True)
    lines = MonthlyReportLineSerializer(many=True, read_only=True)

    class Meta:
        model = MonthlyReportRevision
        fields = [
            "number",
            "submitted_by_id",
            "submitted_at",
            "is_late",
            "outcome",
            "reviewed_by_id",
            "reviewed_at",
            "review_comment",
            "lines",
            "created_at",
        ]


class _EarlierRevisions(serializers.ListSerializer):
    """The report's revisions but the current one, oldest first (read from the prefetched revisions): each
    was returned for correction, since returning a report is what opens its next revision."""

    def get_attribute(self, instance):
        return [revision for revision in instance.revisions.all() if revision.pk != instance.current_revision_id]


@extend_schema_serializer(deprecate_fields=["submitted_by", "reviewed_by"])
class MonthlyReportSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(
        source="enterprise.name", read_only=True, help_text="Derived: the enterprise's current name."
    )
    park = serializers.IntegerField(
        source="enterprise.park_id", read_only=True, help_text="Derived: the enterprise's park (a row of `parks`)."
    )
    period = serializers.SerializerMethodField(
        help_text="Derived: the period as YYYY-MM (monthly), YYYY-Qn (quarterly) or YYYY (annual)."
    )
    revision = serializers.IntegerField(
        source="current_revision.number",
        read_only=True,
        help_text="Derived: the number of the current revision, whose figures are `lines`.",
    )
    deadline = serializers.DateField(
        read_only=True,
        help_text="Derived: the filing deadline of the period (the configured day of the month after a month or "
        "quarter; 31 March after a year).",
    )
    submitted_by = _username(
        allow_null=True,
        help_text="The last submitter's username (v1); null before the first submission. "
        "Deprecated: use `submitted_by_id`.",
    )
    submitted_by_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The last submitter: a row of `people`; null before submission."
    )
    reviewed_by = _username(
        allow_null=True,
        help_text="The last reviewer's username (v1); null before the first review. Deprecated: use `reviewed_by_id`.",
    )
    reviewed_by_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The last reviewer: a row of `people`; null before review."
    )
    lines = MonthlyReportLineSerializer(source="current_revision.lines", many=True, read_only=True)
    earlier_revisions = _EarlierRevisions(
        child=ReturnedRevisionSerializer(),
        read_only=True,
        help_text="The revisions before the current one (returned for correction), oldest first, with their "
        "figures as submitted. The history's `revision` numbers name these or the current `revision`.",
    )
    history = MonthlyReportEventSerializer(source="events", many=True, read_only=True)

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "park",
            "year",
            "month",
            "report_kind",
            "period",
            "status",
            "revision",
            "deadline",
            "is_late",
            "first_submitted_at",
            "submitted_by",
            "submitted_by_id",
            "submitted_at",
            "reviewed_by",
            "reviewed_by_id",
            "reviewed_at",
            "review_comment",
            "lines",
            "earlier_revisions",
            "history",
            "created_at",
            "updated_at",
        ]

    def get_period(self, report) -> str:
        return str(report.period)


# --- input serializers ----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class _VisibleEnterprise(serializers.PrimaryKeyRelatedField):
    """An enterprise the caller may see: anything else 'does not exist' (no tenant leaks)."""

    def get_queryset(self):
        request = self.context.get("request")
        return Enterprise.objects.visible_to(request.user) if request is not None else Enterprise.objects.none()


class ReportCreateSerializer(StrictSerializer):
    enterprise = _VisibleEnterprise()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12, help_text="A quarter's first month; 1 for a year.")
    report_kind = serializers.ChoiceField(
        choices=ReportKind.choices, required=False, default=ReportKind.MONTHLY, help_text="Months covered: 1, 3 or 12."
    )


class ReportLineInputSerializer(StrictSerializer):
    waste_code = serializers.SlugRelatedField(slug_field="code", queryset=WasteCode.objects.all())
    adjustment_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def get_fields(self):
        fields = super().get_fields()
        for name in FIGURES:
            fields[column(name)] = _figure(required=False)
        return fields


class ReportLinesSerializer(StrictSerializer):
    lines = serializers.ListField(child=ReportLineInputSerializer(), min_length=1, max_length=500)

    @staticmethod
    def adjustments(lines: list[dict]) -> list[services.LineAdjustment]:
        return [
            services.LineAdjustment(
                waste_code=item["waste_code"],
                figures={name: item[column(name)] for name in FIGURES if column(name) in item},
                reason=item["adjustment_reason"],
            )
            for item in lines
        ]


class ReportCommentSerializer(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AnnualSummaryLineSerializer(serializers.Serializer):
    waste_code = serializers.CharField()
    waste_class = serializers.CharField()
    months = serializers.IntegerField(help_text="Accepted months the code appears in.")

    def get_fields(self):
        fields = super().get_fields()
        for name in FIGURES:
            fields[column(name)] = _figure(source=name)
        return fields


class AnnualSummaryPageSerializer(serializers.Serializer):
    """The collection shape of every GET under /api/v1/; the summary always fits in one page."""

    next = serializers.CharField(allow_null=True, help_text="Always null: one row a waste code, one page.")
    resume = serializers.CharField(allow_null=True, help_text="Always null: a summary is not synced.")
    results = AnnualSummaryLineSerializer(many=True)


# --- filters --------------------------------------------------------------------------------------


class DutySerializer(serializers.Serializer):
    enterprise = serializers.IntegerField()
    enterprise_name = serializers.CharField()
    park = serializers.IntegerField()
    management_class = serializers.ChoiceField(choices=ManagementClass.choices)
    report_kind = serializers.ChoiceField(choices=ReportKind.choices)
    period = serializers.CharField()
    deadline = serializers.DateField()
    filed = serializers.BooleanField(help_text="Submitted at least once.")
    filed_late = serializers.BooleanField(help_text="First submitted after the deadline.")


class DutiesPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    resume = serializers.CharField(allow_null=True)
    results = DutySerializer(many=True)


# A period: 2026-10 (a month), 2026-Q3 (a quarter) or 2025 (a year), the years the platform keeps.
PERIOD_PATTERN = re.compile(r"(20\d\d)(?:-(0[1-9]|1[0-2])|-Q([1-4]))?")


class MonthlyReportFilter(SyncFilterSet):
    park = IntegerFilter(field_name="enterprise__park_id")
    enterprise = IntegerFilter(field_name="enterprise_id")
    year = IntegerFilter()
    month = IntegerFilter()
    report_kind = django_filters.TypedChoiceFilter(choices=ReportKind.choices, coerce=int)
    status = django_filters.MultipleChoiceFilter(choices=ReportStatus.choices)
    is_late = StrictBooleanFilter()

    class Meta:
        model = MonthlyReport
        fields = ["park", "enterprise", "year", "month", "report_kind", "status", "is_late"]


# --- viewset --------------------------------------------------------------------------------------

_year = OpenApiParameter("year", int, required=True)


@extend_schema_view(
    create=extend_schema(request=ReportCreateSerializer, responses={201: MonthlyReportSerializer}),
    partial_update=extend_schema(
        request=ReportLinesSerializer,
        responses=MonthlyReportSerializer,
        summary="Adjust lines of a draft or returned report; a figure differing from the prefill needs a reason.",
    ),
)
class MonthlyReportViewSet(WriteViewSet):
    """Monthly waste reports with the lines of their current revision and their history."""

    queryset = MonthlyReport.objects.with_details().prefetch_related(
        Prefetch(
            "revisions",
            queryset=MonthlyReportRevision.objects.order_by("number").prefetch_related(
                Prefetch("lines", queryset=MonthlyReportLine.objects.select_related("waste_code"))
            ),
        )
    )
    serializer_class = MonthlyReportSerializer
    filterset_class = MonthlyReportFilter
    ordering_fields = ("updated_at", "year", "month")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = self.validated(ReportCreateSerializer)
        report = services.create_monthly_report(
            actor=request.user,
            enterprise=data["enterprise"],
            year=data["year"],
            month=data["month"],
            report_kind=data["report_kind"],
        )
        return self.answer(report, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        data = self.validated(ReportLinesSerializer)
        report = services.adjust_report_lines(
            report=self.get_object(), actor=request.user, lines=ReportLinesSerializer.adjustments(data["lines"])
        )
        return self.answer(report)

    @extend_schema(request=None, responses=MonthlyReportSerializer, summary="Read the ledger and manifests again.")
    @action(detail=True, methods=["post"])
    def prefill(self, request, pk=None):
        report = services.refresh_prefill(report=self.get_object(), actor=request.user)
        return self.answer(report)

    @extend_schema(request=ReportCommentSerializer, responses=MonthlyReportSerializer, summary="File the report.")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = self.validated(ReportCommentSerializer)
        report = services.submit_monthly_report(report=self.get_object(), actor=request.user, comment=data["comment"])
        return self.answer(report)

    @extend_schema(
        parameters=[
            OpenApiParameter("enterprise", int, required=True),
            _year,
            OpenApiParameter("cursor", str, description="Not used: the summary is a single page."),
            OpenApiParameter("page_size", int, description="Not used: the summary is a single page."),
        ],
        responses=AnnualSummaryPageSerializer,
        summary="The year's accepted monthly reports added up per waste code (for the 31 March annual report).",
    )
    @action(detail=False, methods=["get"], url_path="annual-summary")
    def annual_summary(self, request):
        enterprise, year = self._enterprise_and_year(request)
        lines = services.annual_summary(enterprise=enterprise, year=year)
        return Response(AnnualSummaryPageSerializer({"next": None, "resume": None, "results": lines}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, required=True, description="YYYY-MM, YYYY-Qn or YYYY."),
            OpenApiParameter("cursor", str, description="Not used: the list is a single page."),
            OpenApiParameter("page_size", int, description="Not used: the list is a single page."),
        ],
        responses=DutiesPageSerializer,
        summary="Who owes the report of a period (by management class: monthly, quarterly, annual), with its "
        "deadline and whether it was filed, and late. The same rule as the reminders, the dashboard and the "
        "REPORT_MISSING warning.",
    )
    @action(detail=False, methods=["get"])
    def duties(self, request):
        period = self._period(request)
        reports = MonthlyReport.objects.for_period(period).filed().filter(enterprise=OuterRef("pk"))
        owing = (
            Enterprise.objects.visible_to(request.user)
            .must_file(period)
            .annotate(filed=Exists(reports), filed_late=Exists(reports.filter(is_late=True)))
            .order_by("pk")
        )
        deadline = filing_deadline(period)
        results = [
            {
                "enterprise": row.pk,
                "enterprise_name": row.name,
                "park": row.park_id,
                "management_class": row.management_class,
                "report_kind": period.length,
                "period": str(period),
                "deadline": deadline,
                "filed": row.filed,
                "filed_late": row.filed_late,
            }
            for row in owing
        ]
        return Response(DutiesPageSerializer({"next": None, "resume": None, "results": results}).data)

    # -- query parameters --

    @staticmethod
    def _period(request) -> Period:
        raw = request.query_params.get("period", "").strip()
        match = PERIOD_PATTERN.fullmatch(raw)
        if match is None:
            raise RuleViolation(
                _("Give the period as YYYY-MM, YYYY-Qn or YYYY."),
                code="invalid",
                fields={"period": [_("Use YYYY-MM, YYYY-Qn or YYYY.")]},
            )
        year, month, quarter = match.groups()
        if month:
            return Period.month_of(int(year), int(month))
        if quarter:
            return Period.quarter_of(int(year), int(quarter))
        return Period.year_of(int(year))

    @staticmethod
    def _integer(request, name: str) -> int:
        raw = request.query_params.get(name, "")
        try:
            return int(raw)
        except ValueError:
            raise RuleViolation(
                _("Give %(name)s as a whole number.") % {"name": name},
                code="invalid",
                fields={name: [str(gettext_lazy("A whole number is required."))]},
            )

    def _enterprise_and_year(self, request) -> tuple[Enterprise, int]:
        enterprise = get_object_or_404(
            Enterprise.objects.visible_to(request.user), pk=self._integer(request, "enterprise")
        )
        return enterprise, self._integer(request, "year")


routes = [("monthly-reports", MonthlyReportViewSet, "monthly-report")]
