"""What must never be stored is refused by the database itself, and by validation with a clear message."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registry.models import Facility, JurisdictionMembership, Park, Permit, PermitLine, TransferApproval
from tests import factories as f


def refused_by_database(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_negative_facility_capacity(enterprise_x):
    refused_by_database(
        lambda: Facility.objects.create(enterprise=enterprise_x, name="x", kind="yard", capacity_t=Decimal("-0.0001"))
    )
    facility = Facility(enterprise=enterprise_x, name="x", kind="yard", capacity_t=Decimal("-1"))
    with pytest.raises(ValidationError) as error:
        facility.full_clean()
    assert "capacity_t" in error.value.message_dict
    assert not Facility.objects.exists()


def test_a_permit_ending_before_it_starts(receiver_r):
    refused_by_database(
        lambda: f.PermitFactory(enterprise=receiver_r, valid_from=date(2026, 5, 1), valid_to=date(2026, 4, 30))
    )
    permit = f.PermitFactory.build(enterprise=receiver_r, valid_from=date(2026, 5, 1), valid_to=date(2026, 4, 30))
    with pytest.raises(ValidationError) as error:
        permit.full_clean()
    assert "cannot end before it starts" in str(error.value)
    assert Permit.objects.filter(valid_from=date(2026, 5, 1)).count() == 0


def test_negative_permit_line_capacity_and_a_line_naming_both_code_and_category(receiver_r):
    permit = receiver_r.permits.get()
    refused_by_database(
        lambda: PermitLine.objects.create(
            permit=permit, waste_code=f.waste_code("900-249-08"), method=f.method("R9"), annual_capacity_t=Decimal("-5")
        )
    )
    code = f.waste_code("900-249-08")
    refused_by_database(
        lambda: PermitLine.objects.create(
            permit=permit,
            waste_code=code,
            category=code.category,
            method=f.method("R9"),
            annual_capacity_t=Decimal("5"),
        )
    )
    refused_by_database(
        lambda: PermitLine.objects.create(permit=permit, method=f.method("R9"), annual_capacity_t=Decimal("5"))
    )


def test_park_target_outside_0_to_100(catalogue):
    refused_by_database(lambda: Park.objects.create(name="x", division=f.division(), utilization_target_pct=101))


def test_a_park_lies_in_a_city_not_a_province(catalogue):
    park = Park(name="x", division=f.division("52"))
    with pytest.raises(ValidationError):
        park.full_clean()


def test_approval_used_beyond_approved_or_longer_than_twelve_months(enterprise_x, receiver_r):
    approval = f.TransferApprovalFactory(consignor=enterprise_x, receiver=receiver_r, approved_quantity_t=10)
    refused_by_database(
        lambda: TransferApproval.objects.filter(pk=approval.pk).update(quantity_used_t=Decimal("10.0001"))
    )
    long = f.TransferApprovalFactory.build(
        consignor=enterprise_x, receiver=receiver_r, valid_from=date(2026, 1, 1), valid_to=date(2027, 1, 1)
    )
    with pytest.raises(ValidationError, match="12 months"):
        long.full_clean()


def test_enterprise_without_any_role(park_a):
    refused_by_database(lambda: f.EnterpriseFactory(park=park_a, is_generator=False))


def test_a_park_officer_must_name_a_park(catalogue):
    user = f.UserFactory()
    refused_by_database(lambda: JurisdictionMembership.objects.create(user=user, role="park_officer"))
    refused_by_database(lambda: JurisdictionMembership.objects.create(user=user, role="provincial_officer"))
