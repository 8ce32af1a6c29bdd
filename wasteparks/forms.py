"""Form helpers shared by every app's forms."""

from django import forms
from django.core.validators import MaxLengthValidator

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
