"""Formats in Chinese: the shared ones, with months written the Chinese way."""

from wasteparks.formats.common import *  # noqa: F403

YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
