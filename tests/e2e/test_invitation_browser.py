"""In real browsers: a carrier's administrator (who signs in with a second factor) invites a driver by
e-mail; the driver opens the link, creates an account and signs for a pickup on a phone."""

import re

import pytest
from django.core import mail

from registry.models import EnterpriseMembership, EnterpriseRole
from tests import factories as f
from tests.transfers.factories import draft
from transfers import services as transfer_services
from transfers.models import Manifest, ManifestStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def settle(session) -> None:
    session.page.wait_for_load_state("networkidle")


def test_an_invited_driver_accepts_and_signs_a_pickup(
    browse, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
):
    manifest = draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    transfer_services.submit_manifest(manifest=manifest, actor=preparer_x)
    f.member(f.UserFactory(username="admin_c"), carrier_c, EnterpriseRole.ADMIN)

    # The administrator signs in (password, then the authenticator it sets up) and invites a driver.
    admin = browse("admin")
    admin.log_in("admin_c")
    admin.page.goto(f"/registry/enterprises/{carrier_c.pk}/members/")
    form = admin.page.locator("[data-testid=invite-form]")
    form.locator("input[name=email]").fill("new.driver@example.cn")
    form.locator("select[name=role]").select_option("driver")
    form.locator("button[type=submit]").click()
    settle(admin)
    assert "new.driver@example.cn" in admin.page.locator("[data-testid=invitations]").inner_text()
    admin.page.screenshot(path="test-artifacts/invitation-members.png", full_page=True)
    link = re.search(r"https?://[^/\s]+(/accounts/invitations/[\w-]+/)", mail.outbox[-1].body).group(1)

    # The driver opens the link on a phone, creates the account and lands on the loads to pick up.
    driver = browse("driver", viewport=PHONE)
    driver.page.goto(link)
    driver.page.fill("input[name=username]", "wang_driver")
    driver.page.fill("input[name=full_name]", "王师傅")
    driver.page.fill("input[name=password1]", "Truck-Driver-2026")
    driver.page.fill("input[name=password2]", "Truck-Driver-2026")
    driver.page.click("[data-testid=accept-invitation]")
    settle(driver)
    assert EnterpriseMembership.objects.get(user__username="wang_driver").role == EnterpriseRole.DRIVER
    driver.page.goto("/transfers/pickups/")
    card = driver.page.locator(f"[data-testid=pickup-card][data-manifest='{manifest.pk}']")
    card.locator("input[name=vehicle_plate]").fill("贵D54321")
    card.locator("[data-testid=sign-pickup]").click()
    settle(driver)
    driver.page.screenshot(path="test-artifacts/invitation-driver-pickup.png", full_page=True)
    manifest = Manifest.objects.get(pk=manifest.pk)
    assert manifest.status == ManifestStatus.IN_TRANSIT
    assert manifest.events.order_by("-pk").first().actor.username == "wang_driver"
    assert admin.console_errors == [] and driver.console_errors == []
    assert admin.external_requests == [] and driver.external_requests == []
