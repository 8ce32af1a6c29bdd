"""The API's one request parser: strict JSON.

DRF's JSONParser takes whatever Python's json module takes: a key given twice silently keeps the last
value (a client that sends {"quantity": 1, "quantity": 100} gets 100 stored), and a body nested ten
thousand levels deep raises RecursionError (a 500). Here both are a 400 in the error shape, and so is
a NUL character anywhere in the body, which PostgreSQL cannot store in text.
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

# Deeper than any document of the API (a manifest with lines with fields is 3 levels).
MAX_DEPTH = 20


class DuplicateKey(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def _depth(document) -> int:
    """The nesting depth of a parsed document, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return deepest


def _has_nul(document) -> bool:
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("The request body is not valid %(encoding)s.") % {"encoding": encoding})
        try:
            document = json.loads(text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant)
        except DuplicateKey as duplicate:
            raise exceptions.ParseError(
                _("The key %(key)r appears twice in one object; send it once.") % {"key": str(duplicate)}
            )
        except RecursionError:
            raise exceptions.ParseError(
                _("The JSON is nested too deeply (at most %(depth)d levels).") % {"depth": MAX_DEPTH}
            )
        except ValueError as error:
            raise exceptions.ParseError(_("The request body is not valid JSON: %(error)s") % {"error": error})
        if _depth(document) > MAX_DEPTH:
            raise exceptions.ParseError(
                _("The JSON is nested too deeply (at most %(depth)d levels).") % {"depth": MAX_DEPTH}
            )
        if _has_nul(document):
            raise exceptions.ParseError(_("The request body contains a NUL character, which no field accepts."))
        return document


def _refuse_constant(name: str):
    # NaN, Infinity and -Infinity are not JSON (RFC 8259); Python accepts them by default.
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})
