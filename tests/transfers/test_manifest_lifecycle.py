"""The full life of a hazardous, a general and a medical manifest, with ledger and stock after each step."""

from decimal import Decimal

import pytest
from django.core import mail

from registry.models import EnterpriseRole
from tests import factories as f
from tests.transfers.factories import draft, generate, receipt, stock, treatment
from transfers import services
from transfers.models import LedgerEntry, ManifestEvent, ManifestStatus, StockBalance

pytestmark = pytest.mark.django_db


def stages(manifest):
    return list(
        LedgerEntry.objects.filter(manifest_line__manifest=manifest)
        .order_by("id")
        .values_list("enterprise__name", "stage", "quantity_t")
    )


def test_hazardous_manifest_runs_from_draft_to_completed_with_ledger_and_stock(
    hazardous_draft, enterprise_x, receiver_r, x_store, r_store, preparer_x, driver_c, clerk_r
):
    manifest = hazardous_draft
    assert manifest.status == ManifestStatus.DRAFT
    assert manifest.number is None
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("100")

    services.submit_manifest(manifest=manifest, actor=preparer_x, comment="ready")
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.SUBMITTED
    assert len(manifest.number) == 14
    assert manifest.number.startswith(f"{manifest.submitted_at.astimezone().year}5206")
    assert manifest.number.endswith("000001")
    assert stages(manifest) == []  # signing moves no waste yet
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("100")

    services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.IN_TRANSIT
    assert manifest.driver == driver_c
    assert manifest.vehicle_plate == "贵D12345"
    assert stages(manifest) == [("Enterprise X (generator)", "shipped", Decimal("10.0000"))]
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")

    services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store))
    manifest.refresh_from_db()
    line = manifest.lines.get()
    assert manifest.status == ManifestStatus.RECEIVED
    assert line.received_quantity_t == Decimal("10") and line.acceptance == "accepted"
    assert not line.is_discrepancy and not manifest.has_discrepancy
    assert stock(receiver_r, r_store, "900-249-08") == Decimal("10")
    assert mail.outbox == []

    services.treat_manifest(manifest=manifest, actor=clerk_r, lines=treatment(manifest, "R9"))
    manifest.refresh_from_db()
    line.refresh_from_db()
    assert manifest.status == ManifestStatus.COMPLETED
    assert line.treatment_method.code == "R9" and line.treated_quantity_t == Decimal("10")
    assert stages(manifest) == [
        ("Enterprise X (generator)", "shipped", Decimal("10.0000")),
        ("Receiver R", "received", Decimal("10.0000")),
        ("Receiver R", "utilized_in_house", Decimal("10.0000")),
    ]
    assert LedgerEntry.objects.get(stage="utilized_in_house").method.code == "R9"
    assert stock(receiver_r, r_store, "900-249-08") == Decimal("0")
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")

    trail = list(manifest.events.values_list("action", "from_status", "to_status", "actor__username", "role"))
    assert trail == [
        ("submit", "draft", "submitted", "preparer_x", "preparer"),
        ("pickup", "submitted", "in_transit", "driver_c", "driver"),
        ("receive", "in_transit", "received", "clerk_r", "preparer"),
        ("treat", "received", "completed", "clerk_r", "preparer"),
    ]
    assert manifest.events.first().comment == "ready"
    assert all(event.source == "web" for event in manifest.events.all())
    assert manifest.submitted_at <= manifest.picked_up_at <= manifest.received_at <= manifest.completed_at
    assert not StockBalance.objects.drifted().exists()


def test_general_waste_manifest_needs_no_operating_licence(
    enterprise_x, carrier_c, receiver_r, x_store, r_store, road_permit, preparer_x, driver_c, clerk_r
):
    # Receiver R holds no licence line for fly ash (SW02): general waste does not need one.
    generate(actor=preparer_x, facility=x_store, code="SW02", quantity="300")
    manifest = draft(
        actor=preparer_x,
        consignor=enterprise_x,
        carrier=carrier_c,
        receiver=receiver_r,
        facility=x_store,
        code="SW02",
        quantity="250.5",
        waste_class="general",
    )
    services.submit_manifest(manifest=manifest, actor=preparer_x)
    assert stock(enterprise_x, x_store, "SW02") == Decimal("300")
    services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D00001")
    assert stock(enterprise_x, x_store, "SW02") == Decimal("49.5")
    services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store))
    assert stock(receiver_r, r_store, "SW02") == Decimal("250.5")
    services.treat_manifest(manifest=manifest, actor=clerk_r, lines=treatment(manifest, "C2"))
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.COMPLETED
    assert stock(receiver_r, r_store, "SW02") == Decimal("0")
    assert LedgerEntry.objects.get(stage="utilized_in_house").quantity_t == Decimal("250.5")
    assert ManifestEvent.objects.filter(manifest=manifest).count() == 4


def test_medical_manifest_is_disposed_under_the_medical_permit_and_keeps_its_time_stamps(
    enterprise_x, carrier_c, receiver_r, x_store, r_store, road_permit, medical_permit, preparer_x, driver_c, clerk_r
):
    generate(actor=preparer_x, facility=x_store, code="841-001-01", quantity="1.25", hours_ago=20)
    generate(actor=preparer_x, facility=x_store, code="841-002-01", quantity="0.3", hours_ago=10)
    manifest = draft(
        actor=preparer_x,
        consignor=enterprise_x,
        carrier=carrier_c,
        receiver=receiver_r,
        facility=x_store,
        waste_class="medical",
        purpose="disposal",
        lines=[("841-001-01", "1.25"), ("841-002-01", "0.3")],
    )
    services.submit_manifest(manifest=manifest, actor=preparer_x)
    services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D99999")
    assert stock(enterprise_x, x_store, "841-001-01") == Decimal("0")
    assert stock(enterprise_x, x_store, "841-002-01") == Decimal("0")
    services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store))
    manifest.refresh_from_db()
    assert manifest.medical_treatment_due is not None
    assert stock(receiver_r, r_store, "841-001-01") == Decimal("1.25")
    services.treat_manifest(manifest=manifest, actor=clerk_r, lines=treatment(manifest, "D10"))
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.COMPLETED
    assert list(LedgerEntry.objects.filter(stage="disposed_in_house").values_list("quantity_t", "method__code")) == [
        (Decimal("1.2500"), "D10"),
        (Decimal("0.3000"), "D10"),
    ]
    assert stock(receiver_r, r_store, "841-001-01") == Decimal("0")
    assert all(line.treated_at >= manifest.received_at for line in manifest.lines.all())
    assert manifest.picked_up_at and manifest.received_at and manifest.completed_at


def test_an_enterprise_admin_may_sign_for_its_party(hazardous_draft, enterprise_x, admin_x):
    services.submit_manifest(manifest=hazardous_draft, actor=admin_x)
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.events.get().role == EnterpriseRole.ADMIN


def test_numbers_run_on_per_city(parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x):
    numbers = []
    for _ in range(3):
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            quantity="1",
        )
        numbers.append(services.submit_manifest(manifest=manifest, actor=preparer_x).number)
    assert [number[-6:] for number in numbers] == ["000001", "000002", "000003"]
    assert len({number[:8] for number in numbers}) == 1
    assert f.division("5206").code == numbers[0][4:8]
