"""The OpenAPI schema: valid, complete, and honest about auth, errors and writes."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests import factories as f

from .conftest import error_of


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _served_api_paths() -> set[str]:
    """Every DRF endpoint the URLconf serves under /api/v1/, as OpenAPI paths."""
    paths = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
                route = prefix + str(pattern.pattern)
                route = route.replace("^", "").replace("$", "")
                route = re.sub(r"\(\?P<(\w+)>[^)]+\)", r"{\1}", route)
                route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                paths.add("/" + route.replace("{pk}", "{id}"))

    walk(get_resolver().url_patterns, "")
    return {path for path in paths if path.startswith("/api/v1/")}


def test_the_schema_validates(schema):
    validate_schema(schema)


def test_the_schema_lists_every_endpoint_the_urlconf_serves(schema):
    served = _served_api_paths() - {"/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"}
    assert served, "no API endpoint found"
    assert served == set(schema["paths"])


def test_every_operation_describes_auth_errors_and_sync(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "wp_<prefix>_<secret>",
        "description": "An API client's token, created by an administrator and shown once.",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"bearerAuth": []} in operation["security"], (method, path)
            for status in ("400", "401", "403", "404", "429", "500"):
                content = operation["responses"][status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            if method in ("post", "put", "patch"):
                assert "Idempotency-Key" in names and "409" in operation["responses"], (method, path)
            if method == "get" and not path.endswith("{id}/"):
                assert {"cursor", "page_size"} <= names, path
                body = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
                listing = schema["components"]["schemas"][body.rsplit("/", 1)[1]]
                assert set(listing["required"]) == {"next", "resume", "results"}
    assert "updated_after" in {p["name"] for p in schema["paths"]["/api/v1/enterprises/"]["get"]["parameters"]}
    assert "Retry-After" in schema["paths"]["/api/v1/parks/"]["get"]["responses"]["429"]["headers"]


def test_the_schema_and_docs_are_served_from_local_assets(client):
    assert client.get("/api/v1/schema/").status_code == 200
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert "drf_spectacular_sidecar" in html
        assert not re.search(r"(src|href)=\"https?://", html), page


# A client's own webhook subscriptions are its configuration, not the platform's records: the read-only
# provincial client manages them too (tests/api/test_webhooks.py).
OWN_CONFIGURATION = ("/api/v1/webhooks/",)


def _write_operations(schema):
    for path, operations in schema["paths"].items():
        if path.startswith(OWN_CONFIGURATION):
            continue
        for method in ("post", "put", "patch", "delete"):
            if method in operations:
                yield method, path


def test_a_read_all_client_cannot_write_anything(schema, provincial_platform, enterprise_x):
    facility = f.FacilityFactory(enterprise=enterprise_x)
    ids = {"/api/v1/facilities/{id}/": facility.pk, "/api/v1/enterprises/{id}/": enterprise_x.pk}
    writes = list(_write_operations(schema))
    assert len(writes) >= 4
    for method, path in writes:
        url = path.replace("{id}", str(ids.get(path, 1)))
        response = getattr(provincial_platform, method)(url, {"name": "x"})
        assert response.status_code == 403, (method, url, response.content)
        assert error_of(response)["code"] == "read_only_client"
    # And every method the schema does not list on a served path is 405.
    for path in schema["paths"]:
        if path.startswith(OWN_CONFIGURATION):
            continue
        url = path.replace("{id}", str(ids.get(path, 1)))
        for method in {"post", "put", "patch", "delete"} - set(schema["paths"][path]):
            assert getattr(provincial_platform, method)(url, {}).status_code in (403, 405), (method, url)
    facility.refresh_from_db()
    assert facility.name != "x"
