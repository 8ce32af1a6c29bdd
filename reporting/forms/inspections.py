"""Inspection forms: recording one, recording its rectification, and the list's filters."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise
from registry.tenancy import scope_of
from wasteparks.bounds import DEADLINE, EVENT
from wasteparks.forms import BootstrapFormMixin

from ..models.inspections import Inspection, InspectionKind, InspectionState
from ..models.warnings import Warning


def _date_widget():
    return forms.DateInput(attrs={"type": "date"})


class WarningsField(forms.ModelMultipleChoiceField):
    """The warnings an inspection follows up, each labelled by severity, rule and message."""

    def label_from_instance(self, obj: Warning) -> str:
        return f"{obj.get_severity_display()} · {obj.rule} · {obj.message[:90]}"


class InspectionForm(BootstrapFormMixin, forms.ModelForm):
    # The model's own form field (label, required), as a WarningsField for the labels of the choices.
    warnings = Inspection.warnings.field.formfield(form_class=WarningsField, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Inspection
        fields = [
            "enterprise",
            "date",
            "kind",
            "findings",
            "required_rectification",
            "rectification_deadline",
            "warnings",
        ]
        widgets = {
            "date": _date_widget(),
            "rectification_deadline": _date_widget(),
            "findings": forms.Textarea(attrs={"rows": 4}),
            "required_rectification": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, enterprise: Enterprise | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        # The ForeignKey's form field, and the WarningsField declared above.
        enterprise_field, warnings_field = self.fields["enterprise"], self.fields["warnings"]
        assert isinstance(enterprise_field, forms.ModelChoiceField)
        assert isinstance(warnings_field, WarningsField)
        enterprise_field.queryset = Enterprise.objects.filter(scope.q(park="park", enterprise=None)).order_by("name")
        self.fields["date"].initial = timezone.localdate()
        # Date windows (wasteparks.bounds): the deadline is at most five years ahead; the visit's date is
        # held to EVENT in clean_date, after the plainer "not after today".
        self.fields["rectification_deadline"].validators.append(DEADLINE)
        warnings = Warning.objects.live().filter(scope.q(park="park", enterprise=None))
        if enterprise is not None:
            warnings = warnings.filter(park_id=enterprise.park_id, enterprise__in=[enterprise.pk, None])
        warnings_field.queryset = warnings.select_related("enterprise").order_by("-raised_at")
        warnings_field.widget.attrs["class"] = "form-check-input"

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("Choose today or an earlier day."))
        EVENT(day)
        return day


class RectifiedForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("How it was rectified"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class InspectionFilterForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    state = forms.ChoiceField(label=_("Status"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_widget())
    date_to = forms.DateField(label=_("To"), required=False, widget=_date_widget())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).order_by("name")
        self.fields["kind"].choices = [("", _("All kinds")), *InspectionKind.choices]
        self.fields["state"].choices = [("", _("All")), *InspectionState.choices]
