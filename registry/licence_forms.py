"""Forms for licences: a permit with its lines (recorded by an officer or applied for by an enterprise),
a cross-province transfer approval, the officers' decisions and a permit's renewal."""

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wasteparks.forms import BootstrapFormMixin

from .licensing import Activities, LineInput
from .models import Enterprise, ManagementMethod, PermitKind, WasteCategory, WasteCode
from .tenancy import scope_of


def _date_widget():
    return forms.DateInput(attrs={"type": "date"})


def enterprises_for_licences(user):
    """The enterprises `user` may record licences for (an officer: those of the supervised parks) or apply
    for (an administrator: its own)."""
    scope = scope_of(user)
    if scope.read_only:
        return Enterprise.objects.none()
    administered = [pk for pk in scope.enterprise_ids if "admin" in scope.roles_on(pk)]
    condition = scope.q(park="park", enterprise=None)
    return Enterprise.objects.filter(condition | Q(pk__in=administered)).order_by("name")


class _DatesInOrder:
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end of validity cannot be before its start."))
        return cleaned


class PermitForm(_DatesInOrder, BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=PermitKind.choices)
    number = forms.CharField(
        label=_("Number"), max_length=64, required=False, help_text=_("As printed on the licence (officers).")
    )
    issuer = forms.CharField(label=_("Issued by"), max_length=200, help_text=_("Or the authority applied to."))
    valid_from = forms.DateField(label=_("Valid from"), widget=_date_widget())
    valid_to = forms.DateField(label=_("Valid to"), widget=_date_widget())
    covers_collection = forms.BooleanField(label=_("collection"), required=False)
    covers_storage = forms.BooleanField(label=_("storage"), required=False)
    covers_utilization = forms.BooleanField(label=_("utilization"), required=False)
    covers_disposal = forms.BooleanField(label=_("disposal"), required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises_for_licences(user)

    def activities(self) -> Activities:
        data = self.cleaned_data
        return Activities(
            collection=data["covers_collection"],
            storage=data["covers_storage"],
            utilization=data["covers_utilization"],
            disposal=data["covers_disposal"],
        )


class PermitLineForm(BootstrapFormMixin, forms.Form):
    """One line: a waste code (e.g. 900-249-08) or a whole category (e.g. HW08), a method, a capacity."""

    code = forms.CharField(label=_("Waste code or category"), max_length=20)
    method = forms.CharField(label=_("Method"), max_length=8)
    annual_capacity_t = forms.DecimalField(
        label=_("Annual capacity (t)"), min_value=0, max_digits=14, decimal_places=4, max_value=10**9
    )

    def clean_code(self):
        text = self.cleaned_data["code"].strip().upper()
        code = WasteCode.objects.active().filter(code=text).first()
        if code is not None:
            return code
        category = WasteCategory.objects.active().filter(code=text).first()
        if category is not None:
            return category
        raise forms.ValidationError(_("No waste code or category %(code)s in the catalogue.") % {"code": text})

    def clean_method(self):
        text = self.cleaned_data["method"].strip().upper()
        method = ManagementMethod.objects.active().filter(code=text).first()
        if method is None:
            raise forms.ValidationError(_("No management method %(code)s in the catalogue.") % {"code": text})
        return method

    def line(self) -> LineInput:
        data = self.cleaned_data
        code = data["code"]
        return LineInput(
            method=data["method"],
            annual_capacity_t=data["annual_capacity_t"],
            waste_code=code if isinstance(code, WasteCode) else None,
            category=code if isinstance(code, WasteCategory) else None,
        )


PermitLineFormSet = forms.formset_factory(PermitLineForm, extra=3, max_num=50, validate_max=True)


class LicenceDecisionForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason or note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    number = forms.CharField(
        label=_("Number issued"), required=False, max_length=64, help_text=_("To grant an application.")
    )


class RenewalForm(_DatesInOrder, BootstrapFormMixin, forms.Form):
    number = forms.CharField(label=_("Number of the renewed licence"), max_length=64)
    issuer = forms.CharField(label=_("Issued by"), max_length=200, required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=_date_widget())
    valid_to = forms.DateField(label=_("Valid to"), widget=_date_widget())
    reason = forms.CharField(label=_("Note"), required=False, max_length=2000)


class ApprovalForm(_DatesInOrder, BootstrapFormMixin, forms.Form):
    consignor = forms.ModelChoiceField(label=_("Consignor"), queryset=Enterprise.objects.none())
    receiver = forms.ModelChoiceField(
        label=_("Receiver (another province)"), queryset=Enterprise.objects.active().receivers().order_by("name")
    )
    waste_code = forms.CharField(label=_("Waste code"), max_length=20)
    approved_quantity_t = forms.DecimalField(
        label=_("Quantity (t)"), min_value=Decimal("0.0001"), max_digits=14, decimal_places=4, max_value=10**9
    )
    number = forms.CharField(
        label=_("Number"), max_length=64, required=False, help_text=_("As printed on the approval (officers).")
    )
    issuer = forms.CharField(label=_("Approved by"), max_length=200, help_text=_("Or the authority applied to."))
    valid_from = forms.DateField(label=_("Valid from"), widget=_date_widget())
    valid_to = forms.DateField(label=_("Valid to"), widget=_date_widget())
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consignor"].queryset = enterprises_for_licences(user)

    def clean_waste_code(self):
        text = self.cleaned_data["waste_code"].strip()
        code = WasteCode.objects.active().filter(code=text).first()
        if code is None:
            raise forms.ValidationError(_("No waste code %(code)s in the catalogue.") % {"code": text})
        return code
