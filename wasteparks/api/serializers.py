"""Serializer bases for the API."""

from django.core.validators import MaxLengthValidator
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import serializers

from wasteparks.forms import TEXT_LIMIT


class StrictFieldsMixin:
    """Refuse fields the endpoint does not accept instead of ignoring them (a typo must not pass),
    date-times without an offset (a clerk's 09:00 and an integrator's server clock need not agree), and
    text beyond TEXT_LIMIT characters in any text field that sets no limit of its own."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if type(field) is serializers.CharField and field.max_length is None and not field.read_only:
                field.max_length = TEXT_LIMIT
                message = field.error_messages["max_length"].format(max_length=TEXT_LIMIT)
                field.validators.append(MaxLengthValidator(TEXT_LIMIT, message=message))
        return fields

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            problems = {}
            for name in data:
                if name in writable:
                    if self._is_naive_datetime(self.fields[name], data[name]):
                        problems[name] = [_("Give the offset (e.g. +08:00 or Z): a time without one is ambiguous.")]
                    continue
                if name in self.fields:
                    problems[name] = [_("This field is read-only here.")]
                else:
                    problems[name] = [_("Unknown field.")]
            if problems:
                raise serializers.ValidationError(problems)
        return super().to_internal_value(data)

    @staticmethod
    def _is_naive_datetime(field, value) -> bool:
        if not isinstance(field, serializers.DateTimeField) or not isinstance(value, str):
            return False
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            return False  # well formed but impossible (month 13): the field itself says so
        return parsed is not None and parsed.tzinfo is None


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    pass


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code, e.g. not_found, invalid, transition_not_allowed.")
    message = serializers.CharField(help_text="Human-readable; names the problem.")
    # The error shape's key. DRF's metaclass takes declared fields off the class, so this does not replace
    # Serializer.fields at run time; the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
        help_text="Field name -> list of messages; empty when not about fields."
    )


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error answer under /api/."""

    error = ErrorDetailSerializer()
