"""/api/v1/manifests, /ledger-entries and /stock: enterprise software signs for its own enterprise only;
the provincial platform reads everything; bad input is refused and changes nothing."""

from decimal import Decimal

import pytest
from django.core import mail

from registry.clients import create_api_client
from registry.models import ApiScope
from tests.api.conftest import bearer, error_of, session_of
from tests.transfers.factories import generate, stock
from transfers.models import LedgerEntry, Manifest, ManifestEvent, ManifestStatus, StockBalance

pytestmark = pytest.mark.django_db

MANIFESTS = "/api/v1/manifests/"
LEDGER = "/api/v1/ledger-entries/"
STOCK = "/api/v1/stock/"


def client_for(enterprise, name):
    _, token = create_api_client(name=name, scope=ApiScope.ENTERPRISE, enterprise=enterprise)
    return bearer(token)


@pytest.fixture
def erp_x(enterprise_x):
    return client_for(enterprise_x, "X ERP")


@pytest.fixture
def erp_c(carrier_c):
    return client_for(carrier_c, "C ERP")


@pytest.fixture
def erp_r(receiver_r):
    return client_for(receiver_r, "R ERP")


@pytest.fixture
def erp_y(enterprise_y):
    return client_for(enterprise_y, "Y ERP")


@pytest.fixture
def platform(catalogue):
    _, token = create_api_client(name="Provincial platform", scope=ApiScope.READ_ALL)
    return bearer(token)


def manifest_body(enterprise_x, carrier_c, receiver_r, x_store, **overrides):
    line = {
        "waste_code": "900-249-08",
        "source_facility": x_store.pk,
        "declared_quantity_t": "10.0000",
        "packaging_type": "drum",
        "packaging_count": 5,
        "physical_form": "liquid",
    }
    line.update(overrides.pop("line", {}))
    body = {
        "consignor": enterprise_x.pk,
        "carrier": carrier_c.pk,
        "receiver": receiver_r.pk,
        "waste_class": "hazardous",
        "purpose": "utilization",
        "planned_date": "2025-06-01",
        "lines": [line],
    }
    body.update(overrides)
    return body


@pytest.fixture
def body(parties, enterprise_x, carrier_c, receiver_r, x_store):
    return manifest_body(enterprise_x, carrier_c, receiver_r, x_store)


def test_the_full_lifecycle_through_the_api(
    body, erp_x, erp_c, erp_r, r_store, enterprise_x, x_store, receiver_r, django_capture_on_commit_callbacks
):
    created = erp_x.post(MANIFESTS, body)
    assert created.status_code == 201, created.content
    manifest_id = created.json()["id"]
    assert created.json()["status"] == "draft" and created.json()["number"] is None

    submitted = erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {"comment": "from ERP"})
    assert submitted.status_code == 200, submitted.content
    assert len(submitted.json()["number"]) == 14

    picked = erp_c.post(f"{MANIFESTS}{manifest_id}/pickup/", {"vehicle_plate": "贵D12345"})
    assert picked.status_code == 200, picked.content
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")

    with django_capture_on_commit_callbacks(execute=True):
        received = erp_r.post(
            f"{MANIFESTS}{manifest_id}/receive/",
            {"lines": [{"line": 1, "received_quantity_t": "9.0", "acceptance": "accepted", "facility": r_store.pk}]},
        )
    assert received.status_code == 200, received.content
    assert received.json()["has_discrepancy"] is True
    assert len(mail.outbox) == 1

    treated = erp_r.post(
        f"{MANIFESTS}{manifest_id}/treat/", {"lines": [{"line": 1, "method": "R9", "quantity_t": "9"}]}
    )
    assert treated.status_code == 200, treated.content
    data = treated.json()
    assert data["status"] == "completed"
    assert data["lines"][0]["treatment_method"] == "R9"
    assert [s["action"] for s in data["signatures"]] == ["submit", "pickup", "receive", "treat"]
    assert {s["source"] for s in data["signatures"]} == {"api"}
    assert stock(receiver_r, r_store, "900-249-08") == Decimal("0")


def test_a_transition_by_the_wrong_party_is_403_and_changes_nothing(body, erp_x, erp_r):
    manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
    erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    response = erp_r.post(f"{MANIFESTS}{manifest_id}/pickup/", {"vehicle_plate": "贵D1"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "wrong_party"
    assert "pickup" in error_of(response)["message"]
    assert Manifest.objects.get().status == ManifestStatus.SUBMITTED
    assert not LedgerEntry.objects.filter(stage="shipped").exists()


def test_a_transition_out_of_order_is_409(body, erp_x, erp_r, r_store):
    manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
    response = erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    assert response.status_code == 200
    again = erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    assert again.status_code == 409
    assert error_of(again)["code"] == "transition_not_allowed"
    assert ManifestEvent.objects.count() == 1


def test_a_rule_refusal_is_400_with_the_rule_named(body, erp_x, receiver_r):
    receiver_r.permits.update(valid_to="2020-12-31", valid_from="2016-01-01")
    manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
    response = erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    assert response.status_code == 400
    assert error_of(response)["code"] == "permit_expired"
    assert "2020-12-31" in error_of(response)["message"]
    manifest = Manifest.objects.get()
    assert (manifest.status, manifest.number) == ("draft", None)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"declared_quantity_t": "0"}, "declared_quantity_t"),
        ({"declared_quantity_t": "-3"}, "declared_quantity_t"),
        ({"declared_quantity_t": "ten"}, "declared_quantity_t"),
        ({"declared_quantity_t": "1.00000000001"}, "declared_quantity_t"),
        ({"declared_quantity_t": "1000000.0001"}, "declared_quantity_t"),
        ({"declared_quantity_t": "NaN"}, "declared_quantity_t"),
        ({"waste_code": "999-999-99"}, "waste_code"),
        ({"packaging_count": 0}, "packaging_count"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_line_input_is_400_and_creates_nothing(body, erp_x, line, field):
    body["lines"][0].update(line)
    response = erp_x.post(MANIFESTS, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert "lines" in error["fields"]
    assert field in str(error["fields"])
    assert not Manifest.objects.exists()


def test_a_medical_code_on_a_general_waste_manifest_is_refused(body, erp_x):
    body["waste_class"] = "general"
    body["lines"][0]["waste_code"] = "841-001-01"
    response = erp_x.post(MANIFESTS, body)
    assert response.status_code == 400
    assert error_of(response)["code"] == "waste_class_mismatch"
    assert not Manifest.objects.exists()


def test_a_receiver_that_is_not_a_receiver_is_refused(body, erp_x, carrier_c):
    body["receiver"] = carrier_c.pk
    response = erp_x.post(MANIFESTS, body)
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"receiver": ["Choose a valid receiver."]}


def test_an_enterprise_client_cannot_prepare_a_manifest_for_another_enterprise(body, erp_y):
    response = erp_y.post(MANIFESTS, body)
    assert response.status_code == 400  # enterprise X and its facility do not exist for Y
    assert not Manifest.objects.exists()


def test_a_draft_is_edited_with_patch_and_a_signed_one_is_not(body, erp_x):
    manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
    patched = erp_x.patch(f"{MANIFESTS}{manifest_id}/", {"vehicle_plate": "贵D00009"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["vehicle_plate"] == "贵D00009"
    assert patched.json()["lines"][0]["declared_quantity_t"] == "10.0000"
    erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    refused = erp_x.patch(f"{MANIFESTS}{manifest_id}/", {"vehicle_plate": "贵D1"})
    assert refused.status_code == 409
    assert Manifest.objects.get().vehicle_plate == "贵D00009"


def test_manifests_are_visible_to_their_parties_and_officers_only(
    body, erp_x, erp_c, erp_r, erp_y, platform, officer_a, officer_b
):
    manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
    for caller in (erp_x, erp_c, erp_r, platform, session_of(officer_a)):
        response = caller.get(f"{MANIFESTS}{manifest_id}/")
        assert response.status_code == 200
        assert response.json()["lines"][0]["waste_code"] == "900-249-08"
    for caller in (erp_y, session_of(officer_b)):
        assert caller.get(f"{MANIFESTS}{manifest_id}/").status_code == 404
        assert caller.get(MANIFESTS).json()["results"] == []
    # another tenant's manifest is not found, not forbidden, for a transition too
    assert erp_y.post(f"{MANIFESTS}{manifest_id}/cancel/", {}).status_code == 404


def test_the_provincial_platform_reads_but_never_signs(body, erp_x, platform):
    manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
    response = platform.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    assert response.status_code == 403
    assert Manifest.objects.get().status == "draft"


def test_manifest_filters(body, erp_x, platform, enterprise_x, receiver_r):
    first = erp_x.post(MANIFESTS, body).json()["id"]
    body["waste_class"] = "general"
    body["lines"][0]["waste_code"] = "SW02"
    second = erp_x.post(MANIFESTS, body).json()["id"]
    erp_x.post(f"{MANIFESTS}{first}/submit/", {})
    number = Manifest.objects.get(pk=first).number

    def ids(**params):
        response = platform.get(MANIFESTS, params)
        assert response.status_code == 200, response.content
        return sorted(item["id"] for item in response.json()["results"])

    assert ids(status="submitted") == [first]
    assert ids(number=number) == [first]
    assert ids(waste_class="general") == [second]
    assert ids(code="SW02") == [second]
    assert ids(party=receiver_r.pk) == [first, second]
    assert ids(planned_from="2025-06-02") == []
    assert ids(planned_to="2025-06-01") == [first, second]


def test_the_manifest_list_runs_a_constant_number_of_queries(body, erp_x, erp_c, platform):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def list_queries():
        with CaptureQueriesContext(connection) as captured:
            response = platform.get(MANIFESTS)
        assert response.status_code == 200
        return len(captured.captured_queries), len(response.json()["results"])

    for _ in range(2):
        manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
        erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    list_queries()  # the first call of a client also records its last use
    few, count = list_queries()
    assert count == 2
    for _ in range(8):
        manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
        erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    many, count = list_queries()
    assert count == 10
    assert many == few


def test_a_page_of_manifests_costs_the_same_queries_whatever_its_size(body, erp_x, platform, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
        erp_x.post(f"{MANIFESTS}{manifest_id}/submit/", {})
    platform.get(MANIFESTS)  # the first call of a client also records its last use
    with CaptureQueriesContext(connection) as one:
        assert len(platform.get(MANIFESTS, {"page_size": 1}).json()["results"]) == 1
    for size in (2, 5, 1000):
        with django_assert_num_queries(len(one.captured_queries)):
            response = platform.get(MANIFESTS, {"page_size": size})
        assert len(response.json()["results"]) == min(size, 5)


def test_a_ledger_entry_is_recorded_and_listed(erp_x, x_store, enterprise_x, platform, erp_y):
    response = erp_x.post(
        LEDGER,
        {
            "enterprise": enterprise_x.pk,
            "facility": x_store.pk,
            "waste_code": "900-249-08",
            "stage": "generated",
            "quantity_t": "2.5",
            "batch_code": "2025-06-A",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "api"
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("2.5")
    assert len(platform.get(LEDGER).json()["results"]) == 1
    assert erp_y.get(LEDGER).json()["results"] == []


@pytest.mark.parametrize(
    ("changes", "status_code", "code"),
    [
        ({"quantity_t": "0"}, 400, "invalid"),
        ({"quantity_t": "abc"}, 400, "invalid"),
        ({"quantity_t": "2000000"}, 400, "invalid"),
        ({"stage": "shipped"}, 400, "invalid"),
        ({"stage": "disposed_in_house", "method": "D10", "quantity_t": "99"}, 400, "insufficient_stock"),
        ({"stage": "stored_out", "quantity_t": "1"}, 400, "invalid"),
        ({"stage": "utilized_in_house"}, 400, "method_required"),
        ({"waste_code": "nope"}, 400, "invalid"),
    ],
)
def test_bad_ledger_entries_are_refused_and_change_nothing(
    erp_x, x_store, enterprise_x, preparer_x, changes, status_code, code
):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="5")
    body = {
        "enterprise": enterprise_x.pk,
        "facility": x_store.pk,
        "waste_code": "900-249-08",
        "stage": "generated",
        "quantity_t": "1",
    }
    body.update(changes)
    response = erp_x.post(LEDGER, body)
    assert response.status_code == status_code, response.content
    assert error_of(response)["code"] == code
    assert LedgerEntry.objects.count() == 1
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("5")


def test_an_enterprise_cannot_record_for_another(erp_y, x_store, enterprise_x):
    response = erp_y.post(
        LEDGER,
        {
            "enterprise": enterprise_x.pk,
            "facility": x_store.pk,
            "waste_code": "900-249-08",
            "stage": "generated",
            "quantity_t": "1",
        },
    )
    assert response.status_code == 400
    assert not LedgerEntry.objects.exists()


def test_stock_lists_quantities_with_their_age(erp_x, preparer_x, x_store, platform, erp_y):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="4", hours_ago=48)
    generate(actor=preparer_x, facility=x_store, code="SW02", quantity="1", hours_ago=12)
    response = erp_x.get(STOCK)
    assert response.status_code == 200
    rows = {row["waste_code"]: row for row in response.json()["results"]}
    assert rows["900-249-08"]["quantity_t"] == "4.0000"
    assert 1.9 < rows["900-249-08"]["age_days"] < 2.1
    assert rows["SW02"]["waste_class"] == "general"
    assert len(platform.get(STOCK, {"waste_class": "hazardous"}).json()["results"]) == 1
    assert erp_y.get(STOCK).json()["results"] == []
    assert StockBalance.objects.count() == 2


def test_an_idempotent_retry_of_a_signature_writes_nothing_new(body, erp_x):
    manifest_id = erp_x.post(MANIFESTS, body).json()["id"]
    url = f"{MANIFESTS}{manifest_id}/submit/"
    first = erp_x.post(url, {}, HTTP_IDEMPOTENCY_KEY="submit-1")
    retry = erp_x.post(url, {}, HTTP_IDEMPOTENCY_KEY="submit-1")
    assert first.status_code == retry.status_code == 200
    assert first.json()["number"] == retry.json()["number"]
    assert ManifestEvent.objects.count() == 1
