"""General industrial solid waste leaving the province for utilization needs a filing (备案) with the
province it leaves, not an approval; for storage or disposal it needs the approval (Solid Waste Law 2020,
art. 22). Hazardous waste always needs the approval.

Personas: Enterprise X (Guizhou) and its preparer ship SW02 fly ash to receiver Q in Chongqing.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from registry.models import TransferFiling
from tests import factories as f
from tests.transfers.factories import draft, generate
from transfers import rules, services
from transfers.models import ManifestStatus, Purpose
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db


@pytest.fixture
def fly_ash(parties, enterprise_x, carrier_c, other_province_receiver, x_store, preparer_x):
    generate(actor=preparer_x, facility=x_store, code="SW02", quantity="50")

    def make(purpose=Purpose.UTILIZATION):
        return draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=other_province_receiver,
            facility=x_store,
            code="SW02",
            waste_class="general",
            purpose=purpose,
        )

    return make


def file(*, consignor, receiver, recorded_by, code="SW02", days_valid=(0, 365), number="黔固备〔2026〕001号"):
    today = timezone.localdate()
    return TransferFiling.objects.create(
        number=number,
        consignor=consignor,
        receiver=receiver,
        waste_code=f.waste_code(code),
        valid_from=today + timedelta(days=days_valid[0]),
        valid_to=today + timedelta(days=days_valid[1]),
        filed_with="贵州省生态环境厅",
        recorded_by=recorded_by,
    )


def test_the_rule_asks_a_filing_only_for_general_waste_leaving_for_utilization():
    assert rules.needs_transfer_filing(waste_class="general", is_cross_province=True, purpose="utilization")
    assert not rules.needs_transfer_filing(waste_class="general", is_cross_province=False, purpose="utilization")
    assert not rules.needs_transfer_filing(waste_class="hazardous", is_cross_province=True, purpose="utilization")
    assert rules.needs_transfer_approval(waste_class="general", is_cross_province=True, purpose="disposal")
    assert rules.needs_transfer_approval(waste_class="hazardous", is_cross_province=True, purpose="utilization")
    assert not rules.needs_transfer_approval(waste_class="general", is_cross_province=True, purpose="utilization")


def test_a_general_waste_manifest_leaving_the_province_without_a_filing_is_refused(fly_ash, preparer_x):
    manifest = fly_ash()
    with pytest.raises(RuleViolation) as refused:
        services.submit_manifest(manifest=manifest, actor=preparer_x)
    assert refused.value.code == "filing_missing" and "SW02" in refused.value.message
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.DRAFT and not manifest.number


def test_with_a_filing_in_force_it_is_accepted(fly_ash, preparer_x, enterprise_x, other_province_receiver):
    file(consignor=enterprise_x, receiver=other_province_receiver, recorded_by=preparer_x)
    manifest = services.submit_manifest(manifest=fly_ash(), actor=preparer_x)
    assert manifest.status == ManifestStatus.SUBMITTED and manifest.approval is None


@pytest.mark.parametrize(
    "filing",
    [
        {"days_valid": (-400, -1)},  # expired
        {"days_valid": (1, 30)},  # not yet in force
        {"code": "SW01"},  # another code
    ],
)
def test_a_filing_that_does_not_cover_the_load_refuses_it(
    fly_ash, preparer_x, enterprise_x, other_province_receiver, filing
):
    file(consignor=enterprise_x, receiver=other_province_receiver, recorded_by=preparer_x, **filing)
    with pytest.raises(RuleViolation) as refused:
        services.submit_manifest(manifest=fly_ash(), actor=preparer_x)
    assert refused.value.code == "filing_missing"


def test_leaving_for_disposal_needs_the_approval_even_with_a_filing(
    fly_ash, preparer_x, enterprise_x, other_province_receiver
):
    file(consignor=enterprise_x, receiver=other_province_receiver, recorded_by=preparer_x)
    with pytest.raises(RuleViolation) as refused:
        services.submit_manifest(manifest=fly_ash(Purpose.DISPOSAL), actor=preparer_x)
    assert refused.value.code == "approval_missing"


def test_a_filing_is_for_general_waste_between_two_enterprises(enterprise_x, other_province_receiver, preparer_x):
    filing = TransferFiling(
        number="X-1",
        consignor=enterprise_x,
        receiver=enterprise_x,
        waste_code=f.waste_code("900-249-08"),
        valid_from=timezone.localdate(),
        valid_to=timezone.localdate() - timedelta(days=1),
        filed_with="贵州省生态环境厅",
        recorded_by=preparer_x,
    )
    with pytest.raises(ValidationError) as invalid:
        filing.full_clean()
    assert {"receiver", "waste_code", "valid_to"} <= set(invalid.value.message_dict)
