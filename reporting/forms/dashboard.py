"""Dashboard forms: the park picker and the recompute request."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Park
from wasteparks.forms import BootstrapFormMixin

from ..services.utilization import current_month

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's month picker), cleaned to (year, month)."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = _MONTH.match(value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(_("Use a month as YYYY-MM, e.g. 2025-03."))
        return int(match.group(1)), int(match.group(2))


class RecomputeForm(BootstrapFormMixin, forms.Form):
    park = forms.ModelChoiceField(label=_("Park"), queryset=Park.objects.none())
    period = MonthField(label=_("Month"))

    def __init__(self, *args, parks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["park"].queryset = parks
        if "initial" not in kwargs:
            year, month = current_month()
            self.initial.setdefault("period", f"{year:04d}-{month:02d}")

    def clean_period(self):
        period = self.cleaned_data["period"]
        if period is not None and period > current_month():
            raise forms.ValidationError(_("Choose the current month or an earlier one."))
        return period
