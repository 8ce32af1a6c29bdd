"""Reading numbers from request text: ASCII digits only for ids and pages; quantities as people type them.

`str.isdigit()` is true for "²", "０１" (full-width) and "١٢" (Arabic-Indic), and `int()` reads most of
those as numbers: a page number, a page size or an id typed in another script would either crash
(`int("²")` raises) or silently name another object (`int("０１") == 1`). Every number the platform
reads from a query string or a path goes through here.
"""

import re
import unicodedata

_WHOLE = re.compile(r"[0-9]{1,18}")


def ascii_whole_number(raw: str | None) -> int | None:
    """The non-negative whole number written in `raw` with ASCII digits (at most 18), else None."""
    if raw is None or not _WHOLE.fullmatch(raw):
        return None
    return int(raw)


# A number as people type it: digits, thousands grouped by commas in threes, a point before the decimals.
_GROUPED = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")


class AmbiguousNumber(ValueError):
    """A comma that is not a thousands separator: "1,5" may mean 1.5 or 15, so it means neither."""


def decimal_text(raw: str) -> str:
    """`raw` as plain decimal text for Decimal(): full-width digits and punctuation from a Chinese input
    method read as ASCII, commas grouping thousands dropped ("1,500.5" -> "1500.5").

    A comma anywhere else raises AmbiguousNumber: in Chinese and English a comma groups thousands, so
    "1,5" is refused rather than read as 15 (what a browser's number field makes of it) or as 1.5. Text
    that is no number at all is returned as it is, for the caller's own "not a number" message."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if "," not in text:
        return text
    if not _GROUPED.fullmatch(text):
        raise AmbiguousNumber(text)
    return text.replace(",", "")


def catalogue_code(raw: str) -> str:
    """A catalogue code as typed ("sw01", " hw08 ", full-width "９００-２４９-０８") in the catalogue's own
    spelling: upper case, ASCII, trimmed. Codes are compared as written in the catalogue, so the database
    keeps using its indexes; every form field and API filter that takes a code goes through here."""
    return unicodedata.normalize("NFKC", raw).strip().upper()
