"""Names and conventions (docs/api.md): a field is written under the name it is read with, v1's old
names stay accepted as deprecated aliases (never both at once), and errors speak Chinese unless the
client asks for English."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from registry.clients import create_api_client
from registry.models import ApiScope
from transfers.models import LedgerEntry, ManifestLine, ManifestStatus

from .conftest import bearer, error_of

MANIFESTS = "/api/v1/manifests/"


@pytest.fixture
def erp_r(receiver_r):
    _, token = create_api_client(name="Receiver R ERP", scope=ApiScope.ENTERPRISE, enterprise=receiver_r)
    return bearer(token)


@pytest.fixture
def in_transit(hazardous_draft, advance):
    return advance(hazardous_draft, "in_transit")


def _receive(erp_r, manifest, line: dict):
    line = {"received_quantity_t": "9.5", "acceptance": "accepted", **line}
    return erp_r.post(f"{MANIFESTS}{manifest.pk}/receive/", {"lines": [line]})


def test_a_receiver_writes_receipt_lines_under_the_names_they_are_read_with(erp_r, in_transit, r_store):
    response = _receive(erp_r, in_transit, {"line_no": 1, "receiving_facility": r_store.pk})
    assert response.status_code == 200, response.content
    [line] = response.json()["lines"]
    assert (line["line_no"], line["receiving_facility"], line["received_quantity_t"]) == (1, r_store.pk, "9.5000")
    response = erp_r.post(
        f"{MANIFESTS}{in_transit.pk}/treat/",
        {"lines": [{"line_no": 1, "treatment_method": "R9", "treated_quantity_t": "9.5"}]},
    )
    assert response.status_code == 200, response.content
    [line] = response.json()["lines"]
    assert (line["treatment_method"], line["treated_quantity_t"], response.json()["status"]) == (
        "R9",
        "9.5000",
        ManifestStatus.COMPLETED,
    )


def test_a_v1_client_still_writes_under_the_old_names(erp_r, in_transit, r_store):
    assert _receive(erp_r, in_transit, {"line": 1, "facility": r_store.pk}).status_code == 200
    response = erp_r.post(
        f"{MANIFESTS}{in_transit.pk}/treat/", {"lines": [{"line": 1, "method": "R9", "quantity_t": "9.5"}]}
    )
    assert response.status_code == 200, response.content
    assert ManifestLine.objects.get(manifest=in_transit).treatment_method.code == "R9"


def test_a_line_giving_a_field_under_both_names_is_refused_and_nothing_is_written(erp_r, in_transit, r_store):
    entries = LedgerEntry.objects.count()
    response = _receive(erp_r, in_transit, {"line": 1, "line_no": 1, "receiving_facility": r_store.pk})
    assert response.status_code == 400
    error = error_of(response)
    assert error["fields"] == {"lines": {"0": {"line": ["Give `line_no` or its old name `line`, not both."]}}}
    assert error["message"] == "lines.0.line: Give `line_no` or its old name `line`, not both."
    in_transit.refresh_from_db()
    assert in_transit.status == ManifestStatus.IN_TRANSIT
    assert LedgerEntry.objects.count() == entries


def test_a_mistake_under_an_old_name_is_reported_under_that_name(erp_r, in_transit, r_store):
    response = _receive(erp_r, in_transit, {"line": 0, "facility": r_store.pk})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]["lines"]["0"]) == {"line"}
    response = _receive(erp_r, in_transit, {"line_no": 1, "facility": 999_999})
    assert set(error_of(response)["fields"]["lines"]["0"]) == {"facility"}
    in_transit.refresh_from_db()
    assert in_transit.status == ManifestStatus.IN_TRANSIT


def test_the_schema_documents_the_read_names_and_marks_the_old_ones_deprecated():
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for component, renamed in {
        "ReceiptLineRequest": {"line": "line_no", "facility": "receiving_facility"},
        "TreatmentLineRequest": {"line": "line_no", "method": "treatment_method", "quantity_t": "treated_quantity_t"},
    }.items():
        schema = schemas[component]
        for old, documented in renamed.items():
            assert documented in schema["required"] and old not in schema["required"], component
            assert schema["properties"][old]["deprecated"] is True
            assert documented in schema["properties"][old]["description"]
            assert "deprecated" not in schema["properties"][documented]
        # What a line reads back under: every documented name is a field of the manifest line as read.
        assert set(renamed.values()) <= set(schemas["ManifestLine"]["properties"])


def test_references_to_people_are_ids_beside_the_deprecated_usernames():
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for component, names in {
        "ManifestEvent": ["actor"],
        "MonthlyReportEvent": ["actor"],
        "WarningEvent": ["actor"],
        "MonthlyReport": ["submitted_by", "reviewed_by"],
    }.items():
        for name in names:
            properties = schemas[component]["properties"]
            assert properties[name]["deprecated"] is True, (component, name)
            assert properties[f"{name}_id"]["type"] == "integer", (component, name)
            assert "people" in properties[f"{name}_id"]["description"], (component, name)


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        (None, "page_size: page_size 必须是 1 至 1000 之间的整数。"),
        ("en", "page_size: page_size must be a whole number from 1 to 1000."),
    ],
)
def test_errors_are_chinese_unless_the_client_asks_for_english(settings, provincial_platform, accept_language, message):
    settings.LANGUAGE_CODE = "zh-hans"  # the site's default, as deployed
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = provincial_platform.get("/api/v1/parks/", {"page_size": "0"}, **headers)
    assert response.status_code == 400
    assert error_of(response)["message"] == message
    assert error_of(response)["code"] == "invalid"
