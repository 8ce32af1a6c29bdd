"""Monthly report pages: the filters, starting a report, the line formset and the review comment.

Forms turn bad input into field messages before anything reaches a service; the services still
enforce the rules (a reason for every adjustment, a balanced report before submission).
"""

from decimal import Decimal
from typing import cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, Park
from registry.rules import ReportKind
from registry.tenancy import scope_of
from wasteparks.bounds import EARLIEST_DAY
from wasteparks.forms import BootstrapFormMixin, QuantityField
from wasteparks.periods import Period

from ..models.reports import MonthlyReportLine, ReportStatus
from ..rules.reports import FIGURE_LABELS, FIGURE_PLACES, FIGURES, FILING_ROLES, MAX_FIGURE_T, column

LATE_CHOICES = [("", _("Late or on time")), ("yes", _("Filed late")), ("no", _("On time"))]


class PeriodField(forms.CharField):
    """A calendar month typed as YYYY-MM (the browser's month picker sends that)."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        period = Period.parse_month(value)
        if period is None:
            raise forms.ValidationError(_("Give a month as YYYY-MM."), code="invalid_period")
        # The months a report may name: from the platform's first day (wasteparks.bounds) to 2100 (the
        # MonthlyReport table's constraint).
        if period < Period.containing(EARLIEST_DAY):
            message = _("Must be on or after %(earliest)s.") % {"earliest": EARLIEST_DAY.isoformat()}
            raise forms.ValidationError(message, code="out_of_window")
        if period.year > 2100:
            raise forms.ValidationError(
                _("Must be on or before %(latest)s.") % {"latest": "2100-12-31"}, code="out_of_window"
            )
        return period


def filing_enterprises(user):
    """The enterprises `user` may file monthly reports for (administrator or preparer)."""
    scope = scope_of(user)
    if scope.read_only:
        return Enterprise.objects.none()
    ids = [pk for pk, roles in scope.enterprise_roles.items() if roles & FILING_ROLES]
    return Enterprise.objects.filter(pk__in=ids).order_by("name")


class ReportFilterForm(BootstrapFormMixin, forms.Form):
    period = PeriodField(label=_("Period"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ReportStatus.choices]
    )
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), required=False, queryset=Enterprise.objects.none(), empty_label=_("Any enterprise")
    )
    late = forms.ChoiceField(label=_("Lateness"), required=False, choices=LATE_CHOICES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).only("pk", "name").order_by("name")


class ParkWorkbookForm(BootstrapFormMixin, forms.Form):
    """Which park's reports of which period to download as one workbook."""

    park = forms.ModelChoiceField(label=_("Park"), queryset=Park.objects.none())
    period = PeriodField(label=_("Period"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        parks = Park.objects.select_related("division").order_by("name")
        if not scope.everything:
            parks = parks.filter(scope.q(park="", enterprise=None))
        self.fields["park"].queryset = parks


class StartReportForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none(), empty_label=None)
    period = PeriodField(label=_("Period"))
    # A quarterly or annual report covers the quarter or the year of the month chosen.
    report_kind = forms.TypedChoiceField(
        label=_("Report"),
        choices=ReportKind.choices,
        coerce=int,
        required=False,
        empty_value=int(ReportKind.MONTHLY),  # type: ignore[arg-type]  # coerced like a chosen value
        initial=ReportKind.MONTHLY,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = filing_enterprises(user)

    def clean(self):
        data = super().clean()
        month, kind = data.get("period"), data.get("report_kind")
        if month is not None and kind:
            # The period the report covers: the month, or the quarter or year it falls in.
            data["period"] = Period.from_index(month.first_index - month.first_index % kind, kind)
        return data


class CommentForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("What must the enterprise correct?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


def figure_field(name: str) -> forms.DecimalField:
    return QuantityField(
        label=FIGURE_LABELS[name],
        max_digits=14,
        decimal_places=FIGURE_PLACES,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_FIGURE_T)],
    )


class ReportLineForm(BootstrapFormMixin, forms.Form):
    """One waste code's figures. A figure that differs from the prefilled value needs a reason."""

    adjustment_reason = forms.CharField(
        label=_("Reason for the adjustment"), required=False, max_length=2000, widget=forms.TextInput()
    )

    def __init__(self, *args, line: MonthlyReportLine, **kwargs):
        self.line = line
        kwargs.setdefault(
            "initial",
            {column(name): getattr(line, column(name)) for name in FIGURES}
            | {"adjustment_reason": line.adjustment_reason},
        )
        super().__init__(*args, **kwargs)
        for name in FIGURES:
            self.fields[column(name)] = figure_field(name)
        # Keep the reason last: it reads after the figures it explains.
        self.order_fields([*(column(name) for name in FIGURES), "adjustment_reason"])
        for name in FIGURES:
            self.fields[column(name)].widget.attrs["aria-label"] = f"{line.waste_code.code} {FIGURE_LABELS[name]}"
        self.fields["adjustment_reason"].widget.attrs["aria-label"] = f"{line.waste_code.code} {_('Reason')}"

    def figures(self) -> dict[str, Decimal]:
        return {name: self.cleaned_data[column(name)] for name in FIGURES}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        adjusted = [name for name in FIGURES if cleaned.get(column(name)) != self.line.prefilled()[name]]
        if adjusted and not cleaned.get("adjustment_reason", "").strip():
            self.add_error(
                "adjustment_reason",
                _("%(figures)s differ from the prefilled figures; give the reason for the adjustment.")
                % {"figures": ", ".join(str(FIGURE_LABELS[name]) for name in adjusted)},
            )
        return cleaned


class BaseReportLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, lines: list[MonthlyReportLine], **kwargs):
        self.lines = lines
        super().__init__(*args, **kwargs)

    def total_form_count(self) -> int:
        # One form per line of the current revision, whatever the posted management data says.
        return len(self.lines)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "line": self.lines[index]}


# formset_factory returns a subclass of the `formset` it is given; the stubs type it as the plain
# BaseFormSet, which knows nothing of `lines`.
ReportLineFormSet = cast(
    type[BaseReportLineFormSet], forms.formset_factory(ReportLineForm, formset=BaseReportLineFormSet, extra=0)
)


def line_formset(*, lines: list[MonthlyReportLine], data=None) -> BaseReportLineFormSet:
    return ReportLineFormSet(data, lines=lines, prefix="line")
