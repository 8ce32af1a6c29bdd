"""Post-processing of the generated OpenAPI schema, so it states exactly what the API accepts."""

import re

# drf-spectacular writes decimals as strings matching r"^-?\d{0,10}(?:\.\d{0,4})?$", which an empty
# string also matches; a quantity needs at least one digit before the point.
_DECIMAL_PATTERN = re.compile(r"^\^-\?\\d\{0,(\d+)\}")


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def state_what_the_api_accepts(result, generator, request, public):
    for node in _walk(result):
        pattern = node.get("pattern")
        if node.get("format") == "decimal" and isinstance(pattern, str):
            node["pattern"] = _DECIMAL_PATTERN.sub(lambda match: rf"^-?\d{{1,{match.group(1)}}}", pattern)
    # Request bodies refuse unknown fields (StrictModelSerializer); say so.
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
