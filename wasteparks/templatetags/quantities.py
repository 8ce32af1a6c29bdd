"""{% load quantities %}: quantities for reading, in the page's number format.

`{{ line.declared_quantity_t|tonnes }}` writes 50000.0000 as 50,000 and 1.2500 as 1.25: thousands grouped
as the language's format says (wasteparks/formats/), the 4 recorded decimal places (0.1 kg) kept where
they carry a digit. Only for reading: form fields show the plain value, so it posts back unchanged.
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats, numberformat

register = template.Library()

PLACES = Decimal("0.0001")


@register.filter
def tonnes(value) -> str:
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).quantize(PLACES)
    except (InvalidOperation, ValueError):
        return str(value)
    decimals = format(number, "f").partition(".")[2].rstrip("0")
    return numberformat.format(
        number,
        formats.get_format("DECIMAL_SEPARATOR"),
        decimal_pos=len(decimals),
        grouping=formats.get_format("NUMBER_GROUPING"),
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )
