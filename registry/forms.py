"""Registry forms: an enterprise's application with its facilities, officers' decisions and the permit filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wasteparks.forms import BootstrapFormMixin

from .models import Enterprise, Facility, Park, PermitKind

ROLE_FIELDS = ("is_generator", "is_carrier", "is_receiver")


class EnterpriseApplicationForm(BootstrapFormMixin, forms.ModelForm):
    """What an enterprise submits to register; the credit code is checked before anything is saved."""

    park = forms.ModelChoiceField(queryset=Park.objects.select_related("division"), label=_("Park"))
    # Longer than 18 so a code pasted with spaces reaches clean_credit_code; the model validates the result.
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=40)

    class Meta:
        model = Enterprise
        fields = [
            "park",
            "credit_code",
            "name",
            "industry_code",
            "address",
            "contact_name",
            "contact_phone",
            "contact_email",
            *ROLE_FIELDS,
        ]

    def clean_credit_code(self) -> str:
        # People paste codes with spaces and lower case; the code itself is upper case without spaces.
        return "".join(self.cleaned_data["credit_code"].split()).upper()

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ROLE_FIELDS):
            self.add_error("is_generator", _("Choose at least one role: generator, carrier or receiver."))
        return cleaned


class FacilityForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Facility
        fields = ["name", "kind", "capacity_t"]


FacilityFormSet = forms.formset_factory(FacilityForm, extra=2, max_num=20, validate_max=True)


class DecisionForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason or note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PermitFilterForm(BootstrapFormMixin, forms.Form):
    STATE_LABELS = [
        ("valid", _("Valid")),
        ("expiring", _("Expires within 30 days")),
        ("expired", _("Expired or revoked")),
        ("revoked", _("Revoked")),
        ("not_yet", _("Not yet valid")),
    ]

    q = forms.CharField(label=_("Number, enterprise or issuer"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *PermitKind.choices])
    validity = forms.ChoiceField(
        label=_("Validity"),
        required=False,
        choices=[
            ("", _("Any")),
            ("valid", _("Valid today")),
            ("expiring", _("Expires within 30 days")),
            ("expired", _("Expired or revoked")),
        ],
    )
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), required=False, queryset=Enterprise.objects.none(), empty_label=_("Any enterprise")
    )
    code = forms.CharField(label=_("Waste code or category"), required=False, max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).only("pk", "name").order_by("name")
