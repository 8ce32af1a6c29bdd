"""Dashboard forms: the park picker and the recompute request."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Park
from wasteparks.bounds import EARLIEST_DAY
from wasteparks.forms import BootstrapFormMixin
from wasteparks.periods import Period


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's month picker), cleaned to a Period."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        period = Period.parse_month(value)
        if period is None:
            raise forms.ValidationError(_("Use a month as YYYY-MM, e.g. 2025-03."))
        return period


class RecomputeForm(BootstrapFormMixin, forms.Form):
    park = forms.ModelChoiceField(label=_("Park"), queryset=Park.objects.none())
    period = MonthField(label=_("Month"))
    whole_year = forms.BooleanField(
        label=_("The whole year of this month (every month so far, one after the other)"), required=False
    )
    whole_province = forms.BooleanField(label=_("The whole province of this park (every park)"), required=False)

    def __init__(self, *args, parks, province_codes=None, **kwargs):
        """`province_codes`: the provinces this officer may recompute whole (None: every province);
        without any, the form offers no whole-province recompute."""
        super().__init__(*args, **kwargs)
        self.fields["park"].queryset = parks
        self.province_codes = province_codes
        if province_codes is not None and not province_codes:
            del self.fields["whole_province"]
        if "initial" not in kwargs:
            self.initial.setdefault("period", str(Period.containing()))

    def clean(self):
        cleaned = super().clean()
        park = cleaned.get("park")
        outside = (
            park is not None
            and self.province_codes is not None
            and park.division.province_code not in self.province_codes
        )
        refused = _("Only the province's officers can recompute the whole province.")
        if "whole_province" not in self.fields and self.data.get("whole_province"):
            self.add_error(None, refused)  # a park officer, who is not offered the choice
        elif cleaned.get("whole_province") and outside:
            self.add_error("whole_province", refused)
        return cleaned

    def clean_period(self):
        period = self.cleaned_data["period"]
        if period is not None and period > Period.containing():
            raise forms.ValidationError(_("Choose the current month or an earlier one."))
        # The months the platform keeps start with EARLIEST_DAY's (wasteparks.bounds).
        if period is not None and period < Period.containing(EARLIEST_DAY):
            raise forms.ValidationError(_("Must be on or after %(earliest)s.") % {"earliest": EARLIEST_DAY.isoformat()})
        return period
