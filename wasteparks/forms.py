"""Form helpers shared by every app's forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .parsing import AmbiguousNumber, catalogue_code, decimal_text

# Free text (notes, comments, reasons, findings) one field of a page or of the API accepts when the field
# sets no limit of its own: a text column has none, and a 100,000-character "note" is abuse, not a note.
TEXT_LIMIT = 4000


class BootstrapFormMixin:
    """Give each widget the Bootstrap 5 class it needs, mark invalid fields after validation, and hold
    free text without a limit of its own to TEXT_LIMIT characters."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Plain text fields only: a subclass (a period, a code) turns its text into something else.
            if type(field) is forms.CharField and field.max_length is None:
                field.max_length = TEXT_LIMIT
                field.validators.append(MaxLengthValidator(TEXT_LIMIT))
                field.widget.attrs.setdefault("maxlength", str(TEXT_LIMIT))
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class QuantityField(forms.DecimalField):
    """A quantity typed by a person: "1,500.5" and full-width "１．５" are understood, "1,5" is refused
    with a message saying why (wasteparks.parsing.decimal_text), never read as 15.

    A text box with a decimal keypad, not `type=number`: a browser's number box rewrites "1,5" to 15
    before the form is sent, and shows numbers in the browser's language rather than the page's."""

    default_error_messages = {
        "ambiguous": _("Write decimals with a point (1.5); a comma only separates thousands (1,500)."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                value = decimal_text(value)
            except AmbiguousNumber:
                raise ValidationError(self.error_messages["ambiguous"], code="ambiguous") from None
        return super().to_python(value)


class CatalogueCodeField(forms.CharField):
    """A waste code, category or management method code typed in any case ("sw01" is SW01)."""

    def to_python(self, value):
        return catalogue_code(super().to_python(value))
