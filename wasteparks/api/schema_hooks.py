"""Post-processing of the generated OpenAPI schema, so it states exactly what the API accepts."""

import re

# drf-spectacular writes decimals as strings matching r"^-?\d{0,10}(?:\.\d{0,4})?$", which an empty
# string also matches; a quantity needs at least one digit before the point.
_DECIMAL_PATTERN = re.compile(r"^\^-\?\\d\{0,(\d+)\}")
_COMPONENT = "#/components/schemas/"


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
    # Request bodies refuse unknown fields (StrictModelSerializer); say so. Only the components a request
    # body reaches: a row may be named "...Request" too (a revision request).
    components = result.get("components", {}).get("schemas", {})
    for name in _request_components(result, components):
        if components[name].get("type") == "object":
            components[name]["additionalProperties"] = False
    return result


def _refs(node) -> set[str]:
    return {
        item["$ref"].rsplit("/", 1)[1]
        for item in _walk(node)
        if isinstance(item.get("$ref"), str) and item["$ref"].startswith(_COMPONENT)
    }


def _request_components(result, components) -> set[str]:
    """The names of the schema components that request bodies use, directly or nested."""
    bodies = [
        operation["requestBody"]
        for operations in result.get("paths", {}).values()
        for operation in operations.values()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    found: set[str] = set()
    waiting = _refs(bodies)
    while waiting:
        name = waiting.pop()
        if name in found or name not in components:
            continue
        found.add(name)
        waiting |= _refs(components[name])
    return found
