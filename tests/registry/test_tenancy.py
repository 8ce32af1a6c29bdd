"""visible_to(user): each persona sees exactly its own part of the registry."""

import pytest

from registry.models import Enterprise, Facility, Park, Permit, TransferApproval, WasteCode
from registry.tenancy import scope_of
from tests import factories as f


@pytest.fixture
def world(enterprise_x, enterprise_y, carrier_c, receiver_r):
    facility_x = f.FacilityFactory(enterprise=enterprise_x)
    facility_y = f.FacilityFactory(enterprise=enterprise_y)
    permit_y = f.PermitFactory(enterprise=enterprise_y)
    approval_x = f.TransferApprovalFactory(consignor=enterprise_x, receiver=receiver_r)
    approval_y = f.TransferApprovalFactory(consignor=enterprise_y, receiver=f.EnterpriseFactory(park=enterprise_y.park))
    return locals()


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_officer_of_another_park_sees_nothing_of_this_park(world, officer_b, park_a, park_b):
    assert ids(Park.objects.visible_to(officer_b)) == {park_b.pk}
    assert not Enterprise.objects.visible_to(officer_b).filter(park=park_a).exists()
    assert ids(Enterprise.objects.visible_to(officer_b)) == ids(Enterprise.objects.filter(park=park_b))
    assert ids(Facility.objects.visible_to(officer_b)) == {world["facility_y"].pk}
    assert ids(Permit.objects.visible_to(officer_b)) == {world["permit_y"].pk}
    assert world["approval_x"].pk not in ids(TransferApproval.objects.visible_to(officer_b))


def test_park_officer_sees_every_enterprise_of_the_park(world, officer_a, park_a):
    assert ids(Park.objects.visible_to(officer_a)) == {park_a.pk}
    assert ids(Enterprise.objects.visible_to(officer_a)) == ids(Enterprise.objects.filter(park=park_a))
    assert ids(Permit.objects.visible_to(officer_a)) == ids(Permit.objects.filter(enterprise__park=park_a))


def test_provincial_officer_sees_the_whole_province(world, provincial):
    assert ids(Park.objects.visible_to(provincial)) == ids(Park.objects.all())
    assert ids(Enterprise.objects.visible_to(provincial)) == ids(Enterprise.objects.all())


def test_provincial_officer_of_another_province_sees_nothing(world, catalogue):
    outsider = f.provincial_officer(f.UserFactory(username="sichuan"), "51")
    assert not Enterprise.objects.visible_to(outsider).exists()
    assert not Park.objects.visible_to(outsider).exists()


def test_enterprise_user_sees_only_its_own_enterprise(world, preparer_x, enterprise_x, park_a):
    assert ids(Enterprise.objects.visible_to(preparer_x)) == {enterprise_x.pk}
    assert ids(Facility.objects.visible_to(preparer_x)) == {world["facility_x"].pk}
    assert ids(Permit.objects.visible_to(preparer_x)) == set()
    # It sees its own park (name, target), but not the park's other enterprises.
    assert ids(Park.objects.visible_to(preparer_x)) == {park_a.pk}
    assert ids(TransferApproval.objects.visible_to(preparer_x)) == {world["approval_x"].pk}


def test_receiver_staff_see_approvals_naming_them(world, clerk_r):
    assert ids(TransferApproval.objects.visible_to(clerk_r)) == {world["approval_x"].pk}


def test_anonymous_and_inactive_users_see_nothing(world, preparer_x):
    from django.contrib.auth.models import AnonymousUser

    for user in (AnonymousUser(), None):
        assert not Enterprise.objects.visible_to(user).exists()
        assert not WasteCode.objects.visible_to(user).exists()
    preparer_x.is_active = False
    preparer_x.save()
    preparer_x.refresh_from_db()
    assert not Enterprise.objects.visible_to(preparer_x).exists()


def test_a_user_without_any_membership_sees_nothing_but_the_catalogue(world):
    newcomer = f.UserFactory(username="newcomer")
    assert not Enterprise.objects.visible_to(newcomer).exists()
    assert not Park.objects.visible_to(newcomer).exists()
    assert WasteCode.objects.visible_to(newcomer).count() == WasteCode.objects.count()


def test_superuser_sees_everything(world, superuser):
    assert ids(Enterprise.objects.visible_to(superuser)) == ids(Enterprise.objects.all())


def test_scope_is_read_once_per_user_object(world, officer_a, django_assert_num_queries):
    with django_assert_num_queries(2):
        scope_of(officer_a)
    with django_assert_num_queries(0):
        scope_of(officer_a)


def test_a_jurisdiction_too_large_to_list_is_filtered_by_subquery_with_the_same_result(world, officer_a, monkeypatch):
    from registry import tenancy

    listed = ids(Permit.objects.visible_to(officer_a)), ids(Facility.objects.visible_to(officer_a))
    assert "IN (SELECT" not in str(Permit.objects.visible_to(officer_a).query)
    monkeypatch.setattr(tenancy, "LISTED_ENTERPRISES_MAX", 1)
    tenancy.forget_scope(officer_a)
    assert "IN (SELECT" in str(Permit.objects.visible_to(officer_a).query)
    assert (ids(Permit.objects.visible_to(officer_a)), ids(Facility.objects.visible_to(officer_a))) == listed


def test_any_of_is_in_with_the_list_sent_as_one_parameter(world, enterprise_x, enterprise_y):
    wanted = [enterprise_x.pk, enterprise_y.pk]
    any_of = Facility.objects.filter(enterprise__any_of=wanted)
    assert "= ANY(" in str(any_of.query)  # the suite runs on PostgreSQL
    both = {world["facility_x"].pk, world["facility_y"].pk}
    assert ids(any_of) == ids(Facility.objects.filter(enterprise__in=wanted)) == both
    assert ids(Facility.objects.filter(enterprise__any_of=[])) == set()
    assert ids(Facility.objects.exclude(enterprise__any_of=[])) == ids(Facility.objects.all())
