"""Read fields that keep the API's convention for missing values: a value not there is null, never "".

Some text columns store "" for "does not apply" (a park officer's province). Fields added since the
convention was written (docs/api.md, "Names and conventions") read them through these, so a mirror sees
null as it does for a time not yet stamped.
"""

from rest_framework import serializers


class BlankAsNullCharField(serializers.CharField):
    """A text column whose "" means there is no value; read-only and nullable."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value == "" else super().to_representation(value)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice column whose "" means no choice applies; read-only and nullable (the schema lists the
    other choices and null)."""

    def __init__(self, *, choices, **kwargs):
        super().__init__(
            choices=[choice for choice in choices if choice[0] != ""], read_only=True, allow_null=True, **kwargs
        )

    def to_representation(self, value):
        return None if value == "" else super().to_representation(value)
