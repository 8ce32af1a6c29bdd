"""Deprecated input names: one field, read and written under one name, still accepted under its v1 name.

v1 wrote a few fields under other names than rows are read with (a receipt's `line` and `facility` for a
line's `line_no` and `receiving_facility`). The read name is the documented one; the old name stays
accepted until v2 as an alias. An input serializer lists its aliases once, old name to documented name:

    class ReceiptLineSerializer(DeprecatedNamesMixin, StrictSerializer):
        deprecated_names = {"line": "line_no", "facility": "receiving_facility"}
        line_no = serializers.IntegerField(min_value=1)
        ...

A body may use either name of a field, never both (400). The answer's field messages use the name the
client sent. The schema lists the old name beside the documented one, marked deprecated.
"""

import copy
from collections.abc import Mapping
from typing import ClassVar

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


class DeprecatedNamesMixin:
    """Some fields are also accepted under their v1 names, marked deprecated: send the documented name
    (docs/api.md, "Names and conventions")."""

    # Old name -> documented name. The mixin comes before the StrictSerializer base, so that an old name
    # is known there and not refused as an unknown field. (The docstring above is the schema's
    # description of every serializer using it.)
    deprecated_names: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.deprecated_names:
            extend_schema_serializer(deprecate_fields=list(cls.deprecated_names))(cls)

    def get_fields(self):
        fields = super().get_fields()
        for old, documented in self.deprecated_names.items():
            alias = copy.deepcopy(fields[documented])
            # Required is the documented name's business: the alias is renamed to it before validation.
            alias.required = False
            alias.help_text = f"Deprecated: the v1 name of `{documented}`. Send `{documented}`; never both."
            fields[old] = alias
        return fields

    def to_internal_value(self, data):
        if not isinstance(data, Mapping) or not self.deprecated_names:
            return super().to_internal_value(data)
        twice = {
            old: [_("Give `%(name)s` or its old name `%(old)s`, not both.") % {"name": documented, "old": old}]
            for old, documented in self.deprecated_names.items()
            if old in data and documented in data
        }
        if twice:
            raise serializers.ValidationError(twice)
        sent_as = {documented: old for old, documented in self.deprecated_names.items() if old in data}
        renamed = {self.deprecated_names.get(name, name): value for name, value in data.items()}
        try:
            return super().to_internal_value(renamed)
        except serializers.ValidationError as error:
            if sent_as and isinstance(error.detail, dict):
                error.detail = {sent_as.get(name, name): messages for name, messages in error.detail.items()}
            raise
