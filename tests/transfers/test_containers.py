"""Labelled containers (一物一码): labelled from a ledger inflow, loaded on a manifest line, and scanned at
storage in, storage out, pickup and receipt; whatever does not match the records is a discrepancy."""

from decimal import Decimal

import pytest

from registry.clients import create_api_client
from registry.models import ApiScope
from tests import factories as f
from tests.api.conftest import bearer, error_of
from tests.transfers.factories import receipt
from transfers import services
from transfers.models import Container, ContainerScan, ContainerState, LedgerEntry, ScanOutcome
from transfers.services.containers import label_containers, load_containers, scan_container
from wasteparks.errors import NotPermitted, RuleViolation

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(parties):
    return LedgerEntry.objects.get(stage="generated")


@pytest.fixture
def labelled(entry, preparer_x):
    return label_containers(
        entry=entry,
        actor=preparer_x,
        weights=[Decimal("4"), Decimal("6"), Decimal("90")],
        packaging_type="drum",
        physical_form="liquid",
    )


@pytest.fixture
def loaded(hazardous_draft, labelled, preparer_x):
    line = hazardous_draft.lines.get()
    load_containers(line=line, actor=preparer_x, codes=[labelled[0].code, labelled[1].code])
    return hazardous_draft


def test_a_ledger_entry_is_labelled_as_containers_whose_weights_sum_to_it(labelled, entry):
    assert [c.quantity_t for c in entry.containers.order_by("quantity_t")] == [
        Decimal("4"),
        Decimal("6"),
        Decimal("90"),
    ]
    assert all(c.state == ContainerState.STORED and c.code.startswith("HW") and len(c.code) == 12 for c in labelled)
    assert len({c.code for c in labelled}) == 3


def test_weights_that_do_not_sum_to_the_entry_are_refused_and_nothing_is_written(entry, preparer_x):
    with pytest.raises(RuleViolation) as refused:
        label_containers(
            entry=entry,
            actor=preparer_x,
            weights=[Decimal("50"), Decimal("49.9999")],
            packaging_type="drum",
            physical_form="liquid",
        )
    assert refused.value.code == "container_weights_do_not_sum"
    assert not Container.objects.exists()


def test_an_entry_is_labelled_once(labelled, entry, preparer_x):
    with pytest.raises(RuleViolation):
        label_containers(
            entry=entry, actor=preparer_x, weights=[Decimal("100")], packaging_type="drum", physical_form="liquid"
        )
    assert Container.objects.count() == 3


def test_another_enterprise_cannot_label_the_entry(entry, clerk_r):
    with pytest.raises(NotPermitted):
        label_containers(
            entry=entry, actor=clerk_r, weights=[Decimal("100")], packaging_type="drum", physical_form="liquid"
        )
    assert not Container.objects.exists()


def test_containers_on_a_line_must_weigh_its_declared_quantity(hazardous_draft, labelled, preparer_x):
    line = hazardous_draft.lines.get()
    with pytest.raises(RuleViolation) as refused:
        load_containers(line=line, actor=preparer_x, codes=[labelled[0].code])
    assert refused.value.code == "container_weights_do_not_sum"
    assert not Container.objects.filter(manifest_line__isnull=False).exists()


def test_a_container_is_scanned_through_its_life_as_recorded(
    hazardous_draft, labelled, preparer_x, driver_c, clerk_r, x_store, r_store, advance
):
    first, second = labelled[0], labelled[1]
    assert scan_container(code=first.code, step="storage_in", actor=preparer_x, facility=x_store).is_ok
    load_containers(line=hazardous_draft.lines.get(), actor=preparer_x, codes=[first.code, second.code])
    assert scan_container(code=first.code, step="storage_out", actor=preparer_x, facility=x_store).is_ok
    manifest = advance(hazardous_draft, "submitted")
    for container in (first, second):
        assert scan_container(code=container.code, step="pickup", actor=driver_c, manifest=manifest).is_ok
    manifest = advance(manifest, "in_transit")
    for container in (first, second):
        assert scan_container(code=container.code, step="receipt", actor=clerk_r, manifest=manifest).is_ok
    services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store))
    manifest.refresh_from_db()
    first.refresh_from_db()
    assert first.state == ContainerState.RECEIVED
    assert not manifest.has_discrepancy and not manifest.lines.get().is_discrepancy
    assert list(first.scans.values_list("step", flat=True)) == ["storage_in", "storage_out", "pickup", "receipt"]


def test_a_container_missing_at_receipt_is_a_discrepancy_of_its_line(loaded, labelled, clerk_r, r_store, advance):
    manifest = advance(loaded, "in_transit")
    scan_container(code=labelled[0].code, step="receipt", actor=clerk_r, manifest=manifest)
    services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store))
    manifest.refresh_from_db()
    assert manifest.has_discrepancy and manifest.lines.get().is_discrepancy


def test_a_container_in_another_store_than_recorded_is_a_discrepancy(labelled, preparer_x, enterprise_x):
    elsewhere = f.FacilityFactory(enterprise=enterprise_x, name="X second store")
    result = scan_container(code=labelled[0].code, step="storage_in", actor=preparer_x, facility=elsewhere)
    assert result.scan.outcome == ScanOutcome.DISCREPANCY and "X hazardous waste store" in result.scan.reason


def test_a_container_scanned_twice_at_a_step_is_a_discrepancy(loaded, labelled, clerk_r, r_store, advance):
    manifest = advance(loaded, "in_transit")
    scan_container(code=labelled[0].code, step="receipt", actor=clerk_r, manifest=manifest)
    again = scan_container(code=labelled[0].code, step="receipt", actor=clerk_r, manifest=manifest)
    assert again.scan.outcome == ScanOutcome.DISCREPANCY and "twice" in again.scan.reason
    manifest.refresh_from_db()
    assert manifest.has_discrepancy
    scan_container(code=labelled[1].code, step="receipt", actor=clerk_r, manifest=manifest)
    services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store))
    manifest.refresh_from_db()
    assert manifest.has_discrepancy  # the receipt keeps what the scans found


def test_a_container_not_on_the_manifest_is_foreign(loaded, labelled, clerk_r, advance):
    manifest = advance(loaded, "in_transit")
    result = scan_container(code=labelled[2].code, step="receipt", actor=clerk_r, manifest=manifest)
    assert result.scan.outcome == ScanOutcome.DISCREPANCY and result.scan.reason == "Not on this manifest."
    labelled[2].refresh_from_db()
    assert labelled[2].state == ContainerState.STORED
    manifest.refresh_from_db()
    assert manifest.has_discrepancy


@pytest.mark.parametrize("code", ["", "HW123", "XX0123456789", "HW01234567IO", "<script>"])
def test_a_malformed_id_is_refused_and_nothing_is_written(labelled, preparer_x, code):
    with pytest.raises(RuleViolation) as refused:
        scan_container(code=code, step="storage_in", actor=preparer_x)
    assert refused.value.code == "malformed_container_id"
    assert not ContainerScan.objects.exists()


def test_an_unknown_or_other_enterprises_id_is_not_found(labelled, clerk_r, preparer_x):
    with pytest.raises(RuleViolation) as unknown:
        scan_container(code="HW0000000000", step="storage_in", actor=preparer_x)
    assert unknown.value.code == "unknown_container"
    with pytest.raises(RuleViolation) as foreign:
        scan_container(code=labelled[0].code, step="storage_in", actor=clerk_r)
    assert foreign.value.code == "unknown_container"
    assert not ContainerScan.objects.exists()


def test_an_officer_of_another_park_sees_no_container(labelled, officer_b, officer_a):
    officer = officer_b
    assert not Container.objects.visible_to(officer).exists()
    assert Container.objects.visible_to(officer_a).count() == 3


# --- /api/v1/containers/ ----------------------------------------------------------------------------

CONTAINERS = "/api/v1/containers/"


def _erp(enterprise, name):
    _, token = create_api_client(name=name, scope=ApiScope.ENTERPRISE, enterprise=enterprise)
    return bearer(token)


def test_the_api_lists_the_enterprises_containers_and_hides_others(
    labelled, enterprise_x, enterprise_y, django_assert_max_num_queries
):
    erp_x, erp_y = _erp(enterprise_x, "X ERP"), _erp(enterprise_y, "Y ERP")
    with django_assert_max_num_queries(12):
        listed = erp_x.get(CONTAINERS)
    assert listed.status_code == 200
    assert {row["code"] for row in listed.json()["results"]} == {c.code for c in labelled}
    assert erp_y.get(CONTAINERS).json()["results"] == []
    assert erp_y.get(f"{CONTAINERS}{labelled[0].pk}/").status_code == 404


def test_the_api_records_a_scan_with_its_outcome(labelled, enterprise_x, x_store):
    erp_x = _erp(enterprise_x, "X ERP")
    response = erp_x.post(
        f"{CONTAINERS}scan/", {"code": labelled[0].code, "step": "storage_in", "facility": x_store.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["outcome"] == "ok"
    assert ContainerScan.objects.get().container_id == labelled[0].pk


@pytest.mark.parametrize(
    "body",
    [
        {"code": "HW0000000000", "step": "storage_in"},
        {"code": "nonsense", "step": "storage_in"},
        {"code": "HW0000000000", "step": "teleport"},
        {"step": "storage_in"},
    ],
)
def test_a_bad_scan_over_the_api_is_a_400_in_the_common_shape_and_writes_nothing(labelled, enterprise_x, body):
    response = _erp(enterprise_x, "X ERP").post(f"{CONTAINERS}scan/", body, format="json")
    assert response.status_code == 400
    assert error_of(response)["code"]
    assert not ContainerScan.objects.exists()


def test_another_enterprises_label_over_the_api_is_unknown(labelled, enterprise_y):
    response = _erp(enterprise_y, "Y ERP").post(
        f"{CONTAINERS}scan/", {"code": labelled[0].code, "step": "storage_in"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_container"
    assert not ContainerScan.objects.exists()


def test_the_clerks_erp_makes_a_manifest_line_of_labelled_containers(hazardous_draft, labelled, enterprise_x):
    line = hazardous_draft.lines.get()
    response = _erp(enterprise_x, "X ERP").post(
        f"{CONTAINERS}load/", {"line": line.pk, "codes": [labelled[0].code, labelled[1].code]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert {row["code"] for row in response.json()} == {labelled[0].code, labelled[1].code}
    assert {row["manifest"] for row in response.json()} == {hazardous_draft.pk}
    assert set(line.containers.values_list("state", flat=True)) == {ContainerState.ON_MANIFEST}


@pytest.mark.parametrize(
    "codes",
    [
        ["HW0000000000"],  # no such container
        "labelled:0",  # 4 t: not the line's declared 10 t
        "labelled:0,0",  # the same container twice
        [],
    ],
)
def test_containers_that_cannot_make_the_line_are_refused_over_the_api_and_nothing_moves(
    hazardous_draft, labelled, enterprise_x, codes
):
    if isinstance(codes, str):
        codes = [labelled[int(i)].code for i in codes.split(":")[1].split(",")]
    line = hazardous_draft.lines.get()
    response = _erp(enterprise_x, "X ERP").post(f"{CONTAINERS}load/", {"line": line.pk, "codes": codes}, format="json")
    assert response.status_code == 400 and error_of(response)["code"]
    assert not line.containers.exists()
    assert set(Container.objects.values_list("state", flat=True)) == {ContainerState.STORED}


def test_another_enterprises_manifest_line_cannot_be_loaded(hazardous_draft, labelled, enterprise_y):
    line = hazardous_draft.lines.get()
    response = _erp(enterprise_y, "Y ERP").post(
        f"{CONTAINERS}load/", {"line": line.pk, "codes": [labelled[0].code, labelled[1].code]}, format="json"
    )
    # Another tenant's line reads as one that does not exist.
    assert response.status_code == 400 and "line" in error_of(response)["fields"]
    assert not line.containers.exists()
