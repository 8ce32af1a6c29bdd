"""Formats in English: the shared ones, with months by name."""

from wasteparks.formats.common import *  # noqa: F403

YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
