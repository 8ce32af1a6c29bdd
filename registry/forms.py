"""Registry forms: an enterprise's application with its facilities, officers' decisions and the permit filter."""

from axes.helpers import get_client_ip_address
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wasteparks.forms import BootstrapFormMixin, CatalogueCodeField

from .models import Enterprise, Facility, ManagementClass, Park, PermitKind, User

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
        fields = ["name", "kind", "capacity_t", "cold_store"]


FacilityFormSet = forms.formset_factory(FacilityForm, extra=2, max_num=20, validate_max=True)


class DecisionForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason or note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PermitFilterForm(BootstrapFormMixin, forms.Form):
    STATE_LABELS = [
        ("valid", pgettext_lazy("permit state", "Valid")),
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
            ("awaiting", _("Awaiting verification or decision")),
        ],
    )
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), required=False, queryset=Enterprise.objects.none(), empty_label=_("Any enterprise")
    )
    code = CatalogueCodeField(label=_("Waste code or category"), required=False, max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).only("pk", "name").order_by("name")


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    """Sign-in with two bounds Django's form lacks.

    A user name longer than any account's (150 characters) is cut to that length before it reaches
    authentication, so the failed attempt is counted by the lockout like any other instead of failing
    to be stored. And one address may fail LOGIN_ADDRESS_FAILURE_LIMIT times, whatever user names it
    tries, within LOGIN_LOCKOUT_MINUTES (password spraying): django-axes locks a user name at one
    address; this counts the address alone, with a higher limit so one office behind one address is not
    locked out by a few typing errors.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "too_many_from_address": _("Too many failed sign-ins from this address. Try again in %(minutes)s minutes."),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"][: User._meta.get_field("username").max_length]

    def clean(self):
        key = f"login-failures:{get_client_ip_address(self.request)}" if self.request is not None else None
        minutes = settings.LOGIN_LOCKOUT_MINUTES
        if key is not None and (cache.get(key) or 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            raise forms.ValidationError(
                self.error_messages["too_many_from_address"], code="too_many_from_address", params={"minutes": minutes}
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if key is not None:
                cache.add(key, 0, timeout=minutes * 60)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, timeout=minutes * 60)
            raise


class ClassOverrideForm(BootstrapFormMixin, forms.Form):
    """An officer's management class for an enterprise, or the lifting of an earlier one; always with why."""

    management_class = forms.ChoiceField(
        label=_("Management class"), choices=[("", "---------"), *ManagementClass.choices], required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    lift = forms.BooleanField(label=_("Lift the officer's class: the derived class applies again"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("lift") and not data.get("management_class"):
            self.add_error("management_class", _("Choose a class, or lift the officer's class."))
        return data
