"""Forms of the account pages: signing up, inviting, accepting an invitation, disabling, the second factor."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from wasteparks.forms import BootstrapFormMixin

from .accounts import MAX_INVITATION_DAYS
from .models import EnterpriseRole, User


class SignUpForm(BootstrapFormMixin, BaseUserCreationForm):
    """A new enterprise's first administrator; the password goes through the password policy."""

    email = forms.EmailField(label=_("E-mail"), help_text=_("We send a link to confirm it."))

    class Meta:
        model = User
        fields = ["username", "email", "full_name", "phone"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address exists already: sign in, or reset its password.")
            )
        return email


class NewAccountForm(BootstrapFormMixin, BaseUserCreationForm):
    """An invited person without an account creates one; the invitation gives its e-mail address."""

    class Meta:
        model = User
        fields = ["username", "full_name", "phone"]


class InvitationForm(BootstrapFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    # Any other value is refused by the field ("Select a valid choice"), before the service is asked.
    role = forms.ChoiceField(label=_("Role"), choices=EnterpriseRole.choices, initial=EnterpriseRole.PREPARER)
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=MAX_INVITATION_DAYS, initial=settings.INVITATION_DAYS
    )


class ReasonForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class TokenForm(BootstrapFormMixin, forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())
