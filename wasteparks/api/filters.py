"""django-filter base classes: every synced collection's FilterSet derives from SyncFilterSet."""

import re
from datetime import datetime

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

# A '+' in an unencoded query string arrives as a space: "2025-01-01T00:00:00 08:00".
_SPACE_FOR_PLUS = re.compile(r"^(.*\d) (\d{2}:?\d{2})$")


class OffsetDateTimeField(forms.Field):
    """An ISO 8601 date-time with an explicit offset (Z or ±HH:MM); a naive time would be ambiguous."""

    default_error_messages = {
        "invalid": _("Use an ISO 8601 date-time with an offset, e.g. 2025-03-01T08:00:00+08:00 (got %(value)r)."),
        "naive": _("Give the offset (Z or +08:00): %(value)r has none, so it is ambiguous."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        text = _SPACE_FOR_PLUS.sub(r"\1+\2", text)
        try:
            parsed = parse_datetime(text) or datetime.fromisoformat(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value})
        if parsed.tzinfo is None:
            raise forms.ValidationError(self.error_messages["naive"], code="naive", params={"value": value})
        return parsed


class OffsetDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = OffsetDateTimeField


class SyncFilterSet(django_filters.FilterSet):
    """Adds ?updated_after=: rows changed strictly after that instant (the sync resume point)."""

    updated_after = OffsetDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gt",
        label="Only rows updated strictly after this ISO 8601 date-time with offset, e.g. 2025-03-01T08:00:00+08:00.",
    )
