"""Transfer fixtures on top of the shared personas: facilities, the carrier's road transport permit,
a medical waste receiver, and a receiver in another province for cross-province transfers."""

import pytest

from registry.models import Division, EnterpriseRole, PermitKind
from tests import factories as f
from tests.transfers.factories import draft, generate


@pytest.fixture
def x_store(enterprise_x):
    return f.FacilityFactory(enterprise=enterprise_x, name="X hazardous waste store", capacity_t=500)


@pytest.fixture
def r_store(receiver_r):
    return f.FacilityFactory(enterprise=receiver_r, name="R receiving store", capacity_t=2000)


@pytest.fixture
def road_permit(carrier_c):
    return f.PermitFactory(enterprise=carrier_c, kind=PermitKind.ROAD_TRANSPORT, number="GZ-DG-0001")


@pytest.fixture
def viewer_x(enterprise_x):
    return f.member(f.UserFactory(username="viewer_x"), enterprise_x, EnterpriseRole.VIEWER)


@pytest.fixture
def admin_c(carrier_c):
    return f.member(f.UserFactory(username="admin_c"), carrier_c, EnterpriseRole.ADMIN)


@pytest.fixture
def parties(preparer_x, driver_c, clerk_r, x_store, r_store, road_permit):
    """Everyone a hazardous manifest from X via C to R needs, with 100 t of 900-249-08 in X's store."""
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="100")
    return {"preparer_x": preparer_x, "driver_c": driver_c, "clerk_r": clerk_r}


@pytest.fixture
def hazardous_draft(parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x):
    return draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)


@pytest.fixture
def medical_permit(receiver_r):
    permit = f.PermitFactory(enterprise=receiver_r, kind=PermitKind.MEDICAL_DISPOSAL, number="GZ-MW-0001")
    category = f.waste_code("841-001-01").category
    f.PermitLineFactory(permit=permit, waste_code=None, category=category, method=f.method("D10"))
    return permit


@pytest.fixture
def other_province_receiver(catalogue):
    """A licensed receiver in Chongqing (province 50), outside Guizhou."""
    division, _ = Division.objects.get_or_create(
        code="5001", defaults={"name_zh": "重庆市", "name_en": "Chongqing", "province_code": "50"}
    )
    park = f.ParkFactory(name="重庆长寿经济技术开发区", division=division)
    receiver = f.EnterpriseFactory(name="Receiver Q (Chongqing)", park=park, is_generator=False, is_receiver=True)
    permit = f.PermitFactory(enterprise=receiver, kind=PermitKind.HAZARDOUS_OPERATING)
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code("900-249-08"), method=f.method("R9"))
    return receiver


@pytest.fixture
def clerk_q(other_province_receiver):
    return f.member(f.UserFactory(username="clerk_q"), other_province_receiver, EnterpriseRole.PREPARER)


@pytest.fixture
def q_store(other_province_receiver):
    return f.FacilityFactory(enterprise=other_province_receiver, name="Q receiving store")


@pytest.fixture
def advance(enterprise_x, r_store, preparer_x, driver_c, clerk_r):
    """advance(manifest, to_status): sign a manifest forward with the right parties."""
    from tests.transfers.factories import receipt, treatment
    from transfers import services

    steps = {
        "submitted": lambda m: services.submit_manifest(manifest=m, actor=preparer_x),
        "in_transit": lambda m: services.pickup_manifest(manifest=m, actor=driver_c, vehicle_plate="贵D12345"),
        "received": lambda m: services.receive_manifest(manifest=m, actor=clerk_r, lines=receipt(m, r_store)),
        "completed": lambda m: services.treat_manifest(manifest=m, actor=clerk_r, lines=treatment(m, "R9")),
    }
    order = ["draft", "submitted", "in_transit", "received", "completed"]

    def _advance(manifest, to_status):
        manifest.refresh_from_db()
        for status in order[order.index(manifest.status) + 1 : order.index(to_status) + 1]:
            steps[status](manifest)
        manifest.refresh_from_db()
        return manifest

    return _advance
