"""Annual management plans: forms (the plan to start, its lines)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, WasteCode
from wasteparks.forms import BootstrapFormMixin

from ..models.plans import PLAN_FIGURES, ManagementPlanLine
from ..rules.reports import FIGURE_PLACES, MAX_FIGURE_T
from .reports import filing_enterprises


class StartPlanForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none(), empty_label=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = filing_enterprises(user)

    def offers_an_enterprise(self) -> bool:
        """Whether the person may start a plan for any enterprise at all."""
        return self.fields["enterprise"].queryset.exists()  # type: ignore[attr-defined]


class PlanLineForm(BootstrapFormMixin, forms.Form):
    waste_code = forms.CharField(label=_("Waste code"), max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in PLAN_FIGURES:
            self.fields[f"{name}_t"] = forms.DecimalField(
                label=ManagementPlanLine._meta.get_field(f"{name}_t").verbose_name,
                min_value=0,
                max_value=MAX_FIGURE_T,
                decimal_places=FIGURE_PLACES,
                max_digits=14,
                required=False,
            )

    def clean_waste_code(self):
        code = self.cleaned_data["waste_code"].strip()
        waste_code = WasteCode.objects.filter(code=code).first()
        if waste_code is None:
            raise forms.ValidationError(_("No waste code %(code)s in the catalogue.") % {"code": code})
        return waste_code


PlanLineFormSet = forms.formset_factory(PlanLineForm, extra=2, max_num=200, validate_max=True)
