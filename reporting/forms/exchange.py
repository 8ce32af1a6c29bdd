"""The by-product exchange: forms to publish a stream and an offer (reporting/symbiosis/exchange.py checks them)."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Enterprise, ManagementMethod, WasteCategory
from transfers.forms import DATE_INPUT, CodeField, signing_enterprises, tonnes_field
from transfers.models import Party
from wasteparks.bounds import PLAN
from wasteparks.forms import BootstrapFormMixin


class StreamListingForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none(), empty_label=None)
    waste_code = CodeField(label=_("Waste code"))
    monthly_t = tonnes_field(_("Expected tonnes a month"))
    properties = forms.CharField(
        label=_("Properties"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What a receiver needs to know: composition, moisture, packaging, test reports."),
    )
    location = forms.CharField(label=_("Where it is collected"), required=False, max_length=200)
    available_from = forms.DateField(label=_("Available from"), widget=DATE_INPUT(), validators=[PLAN])
    available_to = forms.DateField(
        label=_("Available until"),
        widget=DATE_INPUT(),
        validators=[PLAN],
        required=False,
        help_text=_("Empty: open-ended."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = signing_enterprises(user, Party.CONSIGNOR)
        self.fields["available_from"].initial = timezone.localdate()


class OfferListingForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Receiver"), queryset=Enterprise.objects.none(), empty_label=None)
    waste_code = CodeField(label=_("Waste code"), required=False)
    category = forms.ModelChoiceField(
        label=_("Or a whole category"),
        queryset=WasteCategory.objects.order_by("code"),
        required=False,
        to_field_name="code",
    )
    method = forms.ModelChoiceField(
        label=_("Method"), queryset=ManagementMethod.objects.order_by("code"), to_field_name="code"
    )
    capacity_t = tonnes_field(
        _("Tonnes offered this year"),
        required=False,
        help_text=_("For hazardous and medical waste, at most what the licence line has left this year."),
    )
    gate_fee_yuan_per_t = forms.DecimalField(
        label=_("Gate fee (yuan/t)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("99999999"),
        decimal_places=2,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        receivers = signing_enterprises(user, Party.RECEIVER).filter(is_receiver=True)
        self.fields["enterprise"].queryset = receivers

    def clean(self):
        data = super().clean()
        if bool(data.get("waste_code")) == bool(data.get("category")):
            raise forms.ValidationError(_("Name either a waste code or a category."))
        return data
