"""Each role lands where its work is and sees a menu that fits it: the driver on the pickups (the page made
for a phone), carriers' staff with the pickup page and nobody else, officers on the dashboard with the
registrations they have to verify."""

import pytest
from django.urls import reverse

from registry.models import EnterpriseRole, EnterpriseStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

PICKUPS = reverse("transfers:pickup_list")


def menu(client) -> list[str]:
    return [item["url"] for item in client.get(reverse("transfers:manifest_list")).context["nav_items"]]


def landing(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    return response.url


def test_a_driver_lands_on_the_loads_waiting_for_pickup(client, driver_c):
    assert landing(client, driver_c) == PICKUPS


def test_a_driver_sees_only_the_pickups_and_the_manifests_in_the_menu(client, driver_c):
    client.force_login(driver_c)
    assert menu(client) == [reverse("transfers:manifest_list"), PICKUPS]


def test_a_generators_preparer_lands_on_manifests_and_is_offered_no_pickup(client, preparer_x):
    assert landing(client, preparer_x) == reverse("transfers:manifest_list")
    assert PICKUPS not in menu(client)


def test_a_generators_administrator_is_not_offered_pickups_either(client, admin_x):
    client.force_login(admin_x)
    assert PICKUPS not in menu(client)
    response = client.get(PICKUPS)
    assert response.context["items"] == [] and not response.context["has_carrier"]


def test_a_carriers_administrator_has_the_full_menu_with_the_pickups(client, carrier_c):
    boss = f.member(f.UserFactory(username="admin_c"), carrier_c, EnterpriseRole.ADMIN)
    assert landing(client, boss) == reverse("transfers:manifest_list")
    urls = menu(client)
    assert PICKUPS in urls and reverse("transfers:ledger_list") in urls


def test_a_driver_who_also_prepares_for_a_generator_gets_both(client, driver_c, enterprise_x):
    f.member(driver_c, enterprise_x, EnterpriseRole.PREPARER)
    assert landing(client, driver_c) == reverse("transfers:manifest_list")
    urls = menu(client)
    assert PICKUPS in urls and reverse("transfers:ledger_list") in urls


def test_an_officer_lands_on_the_dashboard_and_is_offered_no_pickup(client, officer_a):
    assert landing(client, officer_a) == reverse("reporting:dashboard")
    assert PICKUPS not in menu(client)


def test_the_dashboard_lists_the_registrations_waiting_in_the_officers_park_only(client, officer_a, park_a, park_b):
    waiting = f.EnterpriseFactory(name="新申请企业甲", park=park_a, status=EnterpriseStatus.PENDING)
    f.EnterpriseFactory(name="乙园区的申请", park=park_b, status=EnterpriseStatus.PENDING)
    f.EnterpriseFactory(name="已核实企业", park=park_a)
    client.force_login(officer_a)
    response = client.get(reverse("reporting:dashboard"))
    assert response.status_code == 200
    assert response.context["pending_registrations"] == [waiting]
    html = response.content.decode()
    assert reverse("reporting:enterprise_detail", args=[waiting.pk]) in html
    assert "乙园区的申请" not in html and "已核实企业" not in html


def test_the_dashboard_offers_the_rest_when_more_registrations_wait(client, officer_a, park_a):
    for index in range(6):
        f.EnterpriseFactory(name=f"申请{index}", park=park_a, status=EnterpriseStatus.PENDING)
    client.force_login(officer_a)
    response = client.get(reverse("reporting:dashboard"))
    assert len(response.context["pending_registrations"]) == 5 and response.context["more_pending"]
    assert f"{reverse('registry:enterprise_list')}?status=pending" in response.content.decode()
