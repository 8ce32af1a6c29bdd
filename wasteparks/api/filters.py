"""django-filter base classes: every synced collection's FilterSet derives from SyncFilterSet."""

import re
from datetime import UTC, datetime

import django_filters
from django import forms
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from wasteparks.forms import CatalogueCodeField

# A '+' in an unencoded query string arrives as a space: "2025-01-01T00:00:00 08:00".
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
# A resume point is an instant the platform could have written: from the Unix epoch to the year 2100.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_SPACE_FOR_PLUS = re.compile(r"^(.*\d) (\d{2}:?\d{2})$")


class OffsetDateTimeField(forms.Field):
    """An ISO 8601 date-time with an explicit offset (Z or ±HH:MM); a naive time would be ambiguous."""

    default_error_messages = {
        "invalid": _("Use an ISO 8601 date-time with an offset, e.g. 2025-03-01T08:00:00+08:00 (got %(value)r)."),
        "naive": _("Give the offset (Z or +08:00): %(value)r has none, so it is ambiguous."),
        "out_of_range": _("%(value)r is outside the accepted range (1970-01-01 to 2100-01-01, UTC)."),
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
        # Compare in UTC: RFC 3339 allows offsets up to ±23:59, PostgreSQL only to ±15:59; the instant is
        # what matters. Year 1 with +14:00 (or 9999 with -12:00) has no UTC instant in Python's range.
        try:
            instant = parsed.astimezone(UTC)
        except OverflowError:
            instant = None
        if instant is None or not EARLIEST <= instant <= LATEST:
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range", params={"value": value}
            )
        return instant


class OffsetDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = OffsetDateTimeField


class CodeFilter(django_filters.CharFilter):
    """A catalogue code (waste code, category, method) in any case: ?code=sw01 finds SW01."""

    field_class = CatalogueCodeField


class WholeNumberField(forms.IntegerField):
    """Digits with an optional sign: Django's IntegerField would also take "1.0" or "0.00" as a number."""

    default_error_messages = {"invalid": _("Give a whole number.")}

    def to_python(self, value):
        if value not in self.empty_values and not WHOLE_NUMBER.fullmatch(str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """An id, a year, a month: a whole number, never 7.3e-93 or 0.5."""

    field_class = WholeNumberField


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error, not "no filter"."""

    default_error_messages = {"invalid": _("Use true or false.")}
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self._VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class SyncFilterSet(django_filters.FilterSet):
    """Adds ?updated_after=: rows changed strictly after that instant (the sync resume point).

    A typed filter given with an empty value (`?updated_after=`) is refused rather than ignored: a sync
    job whose resume point came out blank must hear about it, not silently pull everything.
    """

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.IntegerField: {"filter_class": IntegerFilter},
        models.PositiveSmallIntegerField: {"filter_class": IntegerFilter},
        models.PositiveIntegerField: {"filter_class": IntegerFilter},
    }

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, value in self.data.items():
            declared = self.filters.get(name)
            if declared is None or value != "" or isinstance(declared, django_filters.CharFilter):
                continue
            self.form.add_error(name, _("Give a value, or leave the parameter out."))
            valid = False
        return valid

    updated_after = OffsetDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gt",
        label="Only rows updated strictly after this ISO 8601 date-time with offset, e.g. 2025-03-01T08:00:00+08:00.",
    )
