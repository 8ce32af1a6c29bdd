"""The API's JSON renderer: DRF's output, byte for byte, written by orjson.

A full sync renders a thousand manifests with their lines and signatures a page; the standard library's
encoder spent a noticeable share of each page's time on it (bench/RESULTS.md, B1). orjson writes the same
compact UTF-8 JSON several times faster. Whatever orjson would write differently is handed to DRF's own
encoder instead: date-times, dates and times (DRF cuts microseconds to milliseconds and writes UTC as
"Z"), decimals, lazy translations and anything else that is not plain JSON. A client asking for indented
JSON (`Accept: application/json; indent=4`) gets DRF's renderer itself.
"""

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# The types orjson would write itself, differently from DRF's encoder: passed to `default` instead.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Keys other than strings (written as json.dumps writes them) cost orjson twice the time on every page, so
# they are allowed only when a body has one.
WITH_OTHER_KEYS = OPTIONS | orjson.OPT_NON_STR_KEYS
# As DRF does: the two line separators JSON allows in strings but JavaScript did not, escaped.
LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class FastJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        default = JSONEncoder().default
        try:
            rendered = orjson.dumps(data, default=default, option=OPTIONS)
        except orjson.JSONEncodeError:
            rendered = orjson.dumps(data, default=default, option=WITH_OTHER_KEYS)
        for raw, escaped in LINE_SEPARATORS:
            if raw in rendered:
                rendered = rendered.replace(raw, escaped)
        return rendered
