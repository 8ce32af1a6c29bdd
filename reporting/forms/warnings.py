"""Warning forms: the list's filters and the officers' actions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, User
from wasteparks.forms import BootstrapFormMixin

from ..models.warnings import Severity, WarningStatus
from ..warnings import RULES_BY_CODE
from ..warnings.lifecycle import NOT_ASSIGNABLE, assignable_officers


def _blank(choices, label):
    return [("", label), *choices]


class WarningFilterForm(BootstrapFormMixin, forms.Form):
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none(), required=False)
    raised_from = forms.DateField(
        label=_("Raised from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    raised_to = forms.DateField(label=_("Raised to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = _blank([(code, code) for code in RULES_BY_CODE], _("All rules"))
        self.fields["severity"].choices = _blank(Severity.choices, _("All severities"))
        self.fields["status"].choices = _blank([("live", _("Open or acknowledged")), *WarningStatus.choices], _("All"))
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).order_by("name")


class NoteForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RequiredNoteForm(NoteForm):
    note = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(BootstrapFormMixin, forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, warning, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)  # declared as one above
        field.queryset = assignable_officers(warning)
        # Anyone else, existing or not, gets the same message and never their name.
        field.error_messages["invalid_choice"] = NOT_ASSIGNABLE
