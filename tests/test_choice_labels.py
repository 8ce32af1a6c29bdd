"""A choice's label on a page (`get_<field>_display`, wasteparks/models.py): what Django's own method
gives, in the language of the request that asks, for every value of every field with choices."""

import pytest
from django.db import models
from django.utils import translation

from registry.models import Enterprise
from transfers.models import Manifest, ManifestStatus
from wasteparks.models import Timestamped


def fields_with_choices():
    for model in (Manifest, Enterprise):
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


@pytest.mark.parametrize(("model", "field"), list(fields_with_choices()), ids=lambda x: getattr(x, "name", x))
def test_every_label_is_the_one_djangos_method_gives(model, field):
    assert issubclass(model, Timestamped)
    for value, _label in field.flatchoices:
        row = model(**{field.attname: value})
        ours = getattr(row, f"get_{field.name}_display")()
        assert ours == models.Model._get_FIELD_display(row, field)


def test_an_officer_reads_the_status_in_chinese_after_a_clerk_read_it_in_english():
    manifest = Manifest(status=ManifestStatus.IN_TRANSIT)
    with translation.override("en"):
        assert manifest.get_status_display() == "In transit"
    with translation.override("zh-hans"):
        assert manifest.get_status_display() == "运输中"
    with translation.override("en"):
        assert manifest.get_status_display() == "In transit"


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert Manifest(status="no-such-status").get_status_display() == "no-such-status"
