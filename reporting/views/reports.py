"""Reporting pages: monthly reports.

The list (officers: their parks' reports with filters, exports and the park workbook; enterprise users:
their own, and starting the report of an ended month) and the report page (lines beside their
prefilled values, the balance check before submission, filing and review). Forms validate, services
decide; a refusal is shown with the error's status and nothing saved.
"""

from dataclasses import dataclass
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.tenancy import scope_of
from wasteparks.db_router import reads_from_replica
from wasteparks.errors import DomainError, TransitionNotAllowed
from wasteparks.lists import export_if_asked, lazily, page_of, sort_by_request
from wasteparks.pages import SignedInRequest, refused
from wasteparks.periods import Period

from ..exports.reports import park_workbook_response, report_workbook_response
from ..forms import reports as forms
from ..models.reports import MonthlyReport, MonthlyReportLine, MonthlyReportRevision, ReportStatus
from ..rules import reports as rules
from ..rules.reports import FIGURE_LABELS, FIGURES, column, prefill_column
from ..services import reports as services

REPORT_SORTS = {
    "period": ["year", "month"],
    "enterprise": ["enterprise__name"],
    "status": ["status"],
    "submitted_at": ["submitted_at"],
    "late": ["is_late"],
}


# --- helpers --------------------------------------------------------------------------------------


def _sorted(queryset, request: SignedInRequest, default: str):
    return sort_by_request(queryset, request, REPORT_SORTS, default, then=("enterprise__name", "pk"))


def _visible_report(request: SignedInRequest, pk: int) -> MonthlyReport:
    return get_object_or_404(
        MonthlyReport.objects.visible_to(request.user).select_related("enterprise__park__division"), pk=pk
    )


def _can_file(user, report: MonthlyReport) -> bool:
    scope = scope_of(user)
    return not scope.read_only and bool(scope.roles_on(report.enterprise_id) & rules.FILING_ROLES)


# --- list -----------------------------------------------------------------------------------------


def _filtered_reports(request: SignedInRequest, form: forms.ReportFilterForm):
    reports = MonthlyReport.objects.visible_to(request.user).select_related("enterprise__park", "current_revision")
    form.is_valid()
    data = form.cleaned_data
    if period := data.get("period"):
        reports = reports.for_period(period)
    if status := data.get("status"):
        reports = reports.filter(status=status)
    if enterprise := data.get("enterprise"):
        reports = reports.filter(enterprise=enterprise)
    if late := data.get("late"):
        reports = reports.filter(is_late=late == "yes")
    return reports


def _list_export(request: SignedInRequest, reports) -> HttpResponse | None:
    fmt = request.GET.get("export")
    if fmt not in ("csv", "xlsx"):
        return None
    header = [
        _("Period"),
        _("Enterprise"),
        _("Unified social credit code"),
        _("Park"),
        _("Status"),
        _("Revision"),
        _("Deadline"),
        _("Submitted at"),
        _("Filed late"),
        _("Reviewed at"),
        _("Review comment"),
    ]
    rows = (
        [
            str(report.period),
            report.enterprise.name,
            report.enterprise.credit_code,
            report.enterprise.park.name,
            report.get_status_display(),
            report.revision_number,
            report.deadline,
            report.submitted_at,
            _("yes") if report.is_late else _("no"),
            report.reviewed_at,
            report.review_comment,
        ]
        for report in lazily(reports)
    )
    return export_if_asked(request, "monthly-reports", _("Monthly reports"), header, rows)


def _park_workbook(request: SignedInRequest) -> HttpResponse:
    """Every visible report of one park and period, as one workbook (a sheet per report)."""
    form = forms.ParkWorkbookForm(request.GET, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose one of your parks and a month for the park workbook."))
        return redirect("reporting:report_list")
    park, period = form.cleaned_data["park"], form.cleaned_data["period"]
    reports = (
        MonthlyReport.objects.visible_to(request.user)
        .of_park(park.pk)
        .for_period(period)
        .with_details()
        .order_by("enterprise__name", "pk")
    )
    return park_workbook_response(park=park, period=period, reports=reports)


@login_required
@reads_from_replica
def report_list(request: SignedInRequest) -> HttpResponse:
    if request.GET.get("workbook"):
        return _park_workbook(request)
    form = forms.ReportFilterForm(request.GET, user=request.user)
    reports, sort = _sorted(_filtered_reports(request, form), request, "-period")
    exported = _list_export(request, reports)
    if exported:
        return exported
    scope = scope_of(request.user)
    start_form = None
    if scope.enterprise_ids and forms.filing_enterprises(request.user).exists():
        last = Period.containing().previous()
        start_form = forms.StartReportForm(user=request.user, initial={"period": str(last)})
    workbook_form = None
    if scope.is_officer or scope.everything:
        period = form.cleaned_data.get("period") or Period.containing().previous()
        workbook_form = forms.ParkWorkbookForm(user=request.user, initial={"period": str(period)})
    return render(
        request,
        "reporting/report_list.html",
        {
            "form": form,
            "page": page_of(request, reports),
            "sort": sort,
            "start_form": start_form,
            "workbook_form": workbook_form,
        },
    )


@login_required
@require_POST
def report_start(request: SignedInRequest) -> HttpResponse:
    """Open (or find) the report of an ended month for one of the user's enterprises."""
    form = forms.StartReportForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))  # an ErrorList yields its messages as text
        return redirect("reporting:report_list")
    enterprise, period = form.cleaned_data["enterprise"], form.cleaned_data["period"]
    existing = MonthlyReport.objects.for_period(period).filter(enterprise=enterprise).first()
    if existing is not None:
        messages.info(request, _("The report for %(period)s already exists.") % {"period": period})
        return redirect("reporting:report_detail", pk=existing.pk)
    try:
        report = services.create_monthly_report(
            actor=request.user,
            enterprise=enterprise,
            year=period.year,
            month=period.month,
            report_kind=period.length,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("reporting:report_list")
    messages.success(request, _("The report is prefilled from the ledger and the manifests. Check it, then submit."))
    return redirect("reporting:report_detail", pk=report.pk)


# --- detail ---------------------------------------------------------------------------------------


@dataclass
class LineCheck:
    """One line as the page shows it: each figure beside its prefilled value, and the balance check."""

    line: MonthlyReportLine
    form: forms.ReportLineForm | None
    cells: list[dict]
    expected_closing: object
    imbalance: rules.Imbalance | None

    @property
    def balances(self) -> bool:
        return self.imbalance is None


def _line_checks(lines: list[MonthlyReportLine], formset) -> list[LineCheck]:
    checks = []
    forms_by_index = list(formset.forms) if formset is not None else [None] * len(lines)
    for line, form in zip(lines, forms_by_index, strict=True):
        figures = line.figures()
        cells = [
            {
                "name": name,
                "label": FIGURE_LABELS[name],
                "value": figures[name],
                "prefilled": getattr(line, prefill_column(name)),
                "adjusted": figures[name] != getattr(line, prefill_column(name)),
                "field": form[column(name)] if form is not None else None,
            }
            for name in FIGURES
        ]
        found = rules.imbalances([(line.waste_code.code, figures)])
        checks.append(
            LineCheck(
                line=line,
                form=form,
                cells=cells,
                expected_closing=rules.expected_closing(figures),
                imbalance=found[0] if found else None,
            )
        )
    return checks


def _detail_context(request: SignedInRequest, report: MonthlyReport, **overrides) -> dict:
    report = MonthlyReport.objects.with_details().select_related("enterprise__park__division").get(pk=report.pk)
    lines = list(report.revision.lines.all())
    can_file = _can_file(request.user, report) and report.is_editable
    can_review = report.status == ReportStatus.SUBMITTED and scope_of(request.user).supervises_park(
        report.enterprise.park
    )
    formset = overrides.pop("formset", None)
    if formset is None and can_file:
        formset = forms.line_formset(lines=lines)
    checks = _line_checks(lines, formset if can_file else None)
    events = list(report.events.all())
    revisions = list(
        MonthlyReportRevision.objects.filter(report=report)
        .select_related("submitted_by", "reviewed_by")
        .order_by("-number")
    )
    context = {
        "report": report,
        "checks": checks,
        "failing": [check for check in checks if not check.balances],
        "figure_labels": [FIGURE_LABELS[name] for name in FIGURES],
        "formset": formset if can_file else None,
        "can_file": can_file,
        "can_review": can_review,
        "events": events,
        "revisions": revisions,
        "accept_form": forms.CommentForm(),
        "return_form": forms.ReturnForm(),
        "submit_form": forms.CommentForm(),
        "today": timezone.localdate(),
    }
    context.update(overrides)
    return context


def _render_detail(request: SignedInRequest, report: MonthlyReport, status: int = 200, **overrides) -> HttpResponse:
    return render(request, "reporting/report_detail.html", _detail_context(request, report, **overrides), status=status)


def _page(request: SignedInRequest, report: MonthlyReport):
    """The report page, for `refused()` to render with the error's status."""
    return partial(_render_detail, request, report)


@login_required
def report_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_report(request, pk))


@login_required
def report_workbook(request: SignedInRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    return report_workbook_response(MonthlyReport.objects.with_details().get(pk=report.pk))


@login_required
@require_POST
def report_lines(request: SignedInRequest, pk: int) -> HttpResponse:
    """Save the edited lines: every changed line goes to the service at once, or none does."""
    report = _visible_report(request, pk)
    if not report.is_editable:
        return refused(
            request, TransitionNotAllowed(_("This report can no longer be changed.")), _page(request, report)
        )
    lines = list(report.revision.lines.select_related("waste_code").order_by("waste_code__code"))
    formset = forms.line_formset(lines=lines, data=request.POST)
    if not formset.is_valid():
        messages.error(request, _("Some lines need attention; nothing was saved."))
        return _render_detail(request, report, status=400, formset=formset)
    adjustments = [
        services.LineAdjustment(
            waste_code=form.line.waste_code, figures=form.figures(), reason=form.cleaned_data["adjustment_reason"]
        )
        for form in formset.forms
        if form.has_changed()
    ]
    if not adjustments:
        messages.info(request, _("Nothing changed."))
        return redirect("reporting:report_detail", pk=pk)
    try:
        services.adjust_report_lines(report=report, actor=request.user, lines=adjustments)
    except DomainError as error:
        _field_errors(formset, error)
        return refused(request, error, _page(request, report), formset=formset)
    messages.success(request, _("Lines saved. Check the balance, then submit."))
    return redirect("reporting:report_detail", pk=pk)


def _field_errors(formset, error: DomainError) -> None:
    """Put a service's field messages (keys like `lines[900-249-08].generated_t`) next to their fields."""
    by_code = {form.line.waste_code.code: form for form in formset.forms}
    for key, field_messages in error.fields.items():
        code, _sep, field = key.removeprefix("lines[").partition("]")
        form = by_code.get(code)
        field = field.removeprefix(".")
        if form is not None and field in form.fields:
            form.add_error(field, field_messages)


@login_required
@require_POST
def report_prefill(request: SignedInRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    try:
        services.refresh_prefill(report=report, actor=request.user)
    except DomainError as error:
        return refused(request, error, _page(request, report))
    messages.success(request, _("The prefilled figures were read again from the ledger and the manifests."))
    return redirect("reporting:report_detail", pk=pk)


@login_required
@require_POST
def report_submit(request: SignedInRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    form = forms.CommentForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, report, status=400, submit_form=form)
    try:
        services.submit_monthly_report(report=report, actor=request.user, comment=form.cleaned_data["comment"])
    except DomainError as error:
        return refused(request, error, _page(request, report), submit_form=form)
    messages.success(request, _("The report is submitted to the park."))
    return redirect("reporting:report_detail", pk=pk)


@login_required
@require_POST
def report_accept(request: SignedInRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    form = forms.CommentForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, report, status=400, accept_form=form, open_form="accept")
    try:
        services.accept_monthly_report(report=report, officer=request.user, comment=form.cleaned_data["comment"])
    except DomainError as error:
        return refused(request, error, _page(request, report), accept_form=form)
    messages.success(request, _("The report is accepted."))
    return redirect("reporting:report_detail", pk=pk)


@login_required
@require_POST
def report_return(request: SignedInRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    form = forms.ReturnForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, report, status=400, return_form=form, open_form="return")
    try:
        services.return_monthly_report(report=report, officer=request.user, comment=form.cleaned_data["comment"])
    except DomainError as error:
        return refused(request, error, _page(request, report), return_form=form, open_form="return")
    messages.success(request, _("The report is returned to the enterprise with your comment."))
    return redirect("reporting:report_detail", pk=pk)


urlpatterns = [
    path("reports/", report_list, name="report_list"),
    path("reports/start/", report_start, name="report_start"),
    path("reports/<int:pk>/", report_detail, name="report_detail"),
    path("reports/<int:pk>/workbook/", report_workbook, name="report_workbook"),
    path("reports/<int:pk>/lines/", report_lines, name="report_lines"),
    path("reports/<int:pk>/prefill/", report_prefill, name="report_prefill"),
    path("reports/<int:pk>/submit/", report_submit, name="report_submit"),
    path("reports/<int:pk>/accept/", report_accept, name="report_accept"),
    path("reports/<int:pk>/return/", report_return, name="report_return"),
]
