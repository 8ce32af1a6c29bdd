"""Fixtures of the transfer tests only: a medical waste licence for R, an administrator of carrier C, and a
receiver in another province for cross-province transfers. The stores, the road permit, stock at X and
the hazardous draft are shared with other packages: tests/fixtures/transfers.py."""

import pytest

from registry.models import Division, EnterpriseRole, PermitKind
from tests import factories as f


@pytest.fixture
def admin_c(carrier_c):
    return f.member(f.UserFactory(username="admin_c"), carrier_c, EnterpriseRole.ADMIN)


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
