"""The API's JSON renderer: DRF's output, byte for byte, written by orjson.

A full sync renders a thousand manifests with their lines and signatures a page; the standard library's
encoder spent a noticeable share of each page's time on it (bench/RESULTS.md, B1). orjson writes the same
compact UTF-8 JSON several times faster. Whatever orjson would write differently is handed to DRF's own
encoder instead: date-times, dates and times (DRF cuts microseconds to milliseconds and writes UTC as
"Z"), decimals, lazy translations and anything else that is not plain JSON. A client asking for indented
JSON (`Accept: application/json; indent=4`) gets DRF's renderer itself.

A value may also arrive as JSON text already written (JSONArrayText: the manifest list's page, which
PostgreSQL writes); it is put into the answer as it is, never decoded and encoded again.
"""

import re
from collections.abc import Sequence
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# The types orjson would write itself, differently from DRF's encoder: passed to `default` instead.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Keys other than strings (written as json.dumps writes them) cost orjson twice the time on every page, so
# they are allowed only when a body has one.
WITH_OTHER_KEYS = OPTIONS | orjson.OPT_NON_STR_KEYS
# As DRF does: the two line separators JSON allows in strings but JavaScript did not, escaped. Found in one
# pass over the answer (two `in` tests took five times as long on a page of manifests).
LINE_SEPARATOR = re.compile(b"\xe2\x80[\xa8\xa9]")
ESCAPED = {b"\xe2\x80\xa8": b"\\u2028", b"\xe2\x80\xa9": b"\\u2029"}


class JSONArrayText(Sequence):
    """A JSON array already written as compact UTF-8 text, the way FastJSONRenderer would write its items.

    FastJSONRenderer copies the text into the answer. Anything else that reads it sees the decoded items:
    DRF's encoder (indented JSON) through `tolist()`, code reading `response.data["results"]` as a list.
    """

    def __init__(self, text: bytes):
        self.text = text
        self._items: list | None = None

    def tolist(self) -> list:
        """The items, decoded on first use; the name is the one DRF's encoder asks for (as of numpy arrays)."""
        if self._items is None:
            self._items = orjson.loads(self.text)
        return self._items

    def __getitem__(self, index):
        return self.tolist()[index]

    def __len__(self) -> int:
        return len(self.tolist())


_ENCODER = JSONEncoder()


def _default(value: Any) -> Any:
    """What orjson does not write itself: JSON text already written as it is, the rest as DRF writes it."""
    if isinstance(value, JSONArrayText):
        return orjson.Fragment(value.text)
    return _ENCODER.default(value)


class FastJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_default, option=OPTIONS)
        except orjson.JSONEncodeError:
            rendered = orjson.dumps(data, default=_default, option=WITH_OTHER_KEYS)
        if LINE_SEPARATOR.search(rendered):
            rendered = LINE_SEPARATOR.sub(lambda found: ESCAPED[found.group()], rendered)
        return rendered
