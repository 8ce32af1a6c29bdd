"""Platform import forms: uploading an export file, and choosing the park and month to reconcile."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Park
from wasteparks.forms import BootstrapFormMixin
from wasteparks.periods import Period

from ..imports.formats import KINDS, MAX_BYTES
from ..models.imports import ImportSource


class ParkChoiceMixin(forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["park"].queryset = Park.objects.visible_to(user)


class ImportUploadForm(ParkChoiceMixin, BootstrapFormMixin, forms.Form):
    park = forms.ModelChoiceField(label=_("Park"), queryset=Park.objects.none())
    source = forms.ChoiceField(label=_("Source platform"), choices=ImportSource.choices)
    file = forms.FileField(label=_("Export file (CSV, Excel .xlsx or JSON)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before reading: a huge upload is refused without loading it into memory.
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)}, code="too_large"
            )
        if upload.name.rsplit(".", 1)[-1].lower() not in KINDS:
            raise forms.ValidationError(_("Only CSV, Excel (.xlsx) and JSON files can be imported."), code="kind")
        return upload


class ReconcileForm(ParkChoiceMixin, BootstrapFormMixin, forms.Form):
    park = forms.ModelChoiceField(label=_("Park"), queryset=Park.objects.none())
    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7)

    def clean_month(self) -> Period:
        period = Period.parse_month(self.cleaned_data["month"])
        if period is None or not 2000 <= period.year <= 2100:
            raise forms.ValidationError(_("Give a month as YYYY-MM."), code="month")
        return period
