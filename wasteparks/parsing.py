"""Reading numbers from request text: ASCII digits only.

`str.isdigit()` is true for "²", "０１" (full-width) and "١٢" (Arabic-Indic), and `int()` reads most of
those as numbers: a page number, a page size or an id typed in another script would either crash
(`int("²")` raises) or silently name another object (`int("０１") == 1`). Every number the platform
reads from a query string or a path goes through here.
"""

import re

_WHOLE = re.compile(r"[0-9]{1,18}")


def ascii_whole_number(raw: str | None) -> int | None:
    """The non-negative whole number written in `raw` with ASCII digits (at most 18), else None."""
    if raw is None or not _WHOLE.fullmatch(raw):
        return None
    return int(raw)
