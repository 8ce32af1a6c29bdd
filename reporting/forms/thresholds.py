"""Warning threshold forms: a provincial officer's change of one threshold, for the province or a park."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wasteparks.forms import BootstrapFormMixin

from ..models.thresholds import THRESHOLD_SPECS, ThresholdKey, ThresholdLevel


class ThresholdForm(BootstrapFormMixin, forms.Form):
    level = forms.ChoiceField(label=_("Set for"), choices=ThresholdLevel.choices, initial=ThresholdLevel.PARK)
    key = forms.ChoiceField(label=_("Threshold"), choices=ThresholdKey.choices)
    value = forms.DecimalField(
        label=_("Value"),
        required=False,
        max_digits=12,
        decimal_places=4,
        help_text=_("Leave empty to remove the value set here: the province's value or the default then applies."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        key, value = data.get("key"), data.get("value")
        if key and value is not None and (problem := THRESHOLD_SPECS[key].problem(value)):
            self.add_error("value", problem)
        return data
