"""In real browsers: a consignor, a carrier's driver (on a phone) and a receiver complete a hazardous
manifest through the pages, and the park's officer reads the signature trail."""

import pytest

from tests import factories as f
from transfers.models import Manifest, ManifestStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def settle(session) -> None:
    session.page.wait_for_load_state("networkidle")


def test_three_parties_complete_a_hazardous_manifest(
    browse,
    parties,
    officer_a,
    enterprise_x,
    carrier_c,
    receiver_r,
    x_store,
):
    # The consignor prepares the draft and signs it.
    consignor = browse("consignor")
    consignor.log_in("preparer_x")
    consignor.page.goto("/transfers/manifests/")
    consignor.page.click("[data-testid=new-manifest]")
    page = consignor.page
    page.select_option("select[name=carrier]", str(carrier_c.pk))
    page.select_option("select[name=receiver]", str(receiver_r.pk))
    page.select_option("select[name=waste_class]", "hazardous")
    page.select_option("select[name=purpose]", "utilization")
    page.fill("input[name=line-0-waste_code]", "900-249-08")
    page.select_option("select[name=line-0-source_facility]", str(x_store.pk))
    page.fill("input[name=line-0-declared_quantity_t]", "12.5")
    page.select_option("select[name=line-0-packaging_type]", "drum")
    page.fill("input[name=line-0-packaging_count]", "6")
    page.select_option("select[name=line-0-physical_form]", "liquid")
    page.click("[data-testid=save-draft]")
    settle(consignor)
    manifest = Manifest.objects.get()
    assert page.get_attribute("[data-testid=manifest-status]", "data-status") == "draft"
    page.click("[data-testid=submit]")
    settle(consignor)
    assert page.get_attribute("[data-testid=manifest-status]", "data-status") == "submitted"
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.SUBMITTED

    # The driver signs for the load on a phone.
    driver = browse("carrier", viewport=PHONE)
    driver.log_in("driver_c")
    driver.page.goto("/transfers/pickups/")
    card = driver.page.locator(f"[data-testid=pickup-card][data-manifest='{manifest.pk}']")
    assert card.is_visible()
    assert manifest.number in card.inner_text()
    assert driver.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = card.locator("[data-testid=sign-pickup]")
    box = button.bounding_box()
    assert box["width"] >= 300 and box["height"] >= 44  # a thumb-sized button across the screen
    card.locator("input[name=vehicle_plate]").fill("贵D12345")
    button.click()
    settle(driver)
    assert driver.page.locator("[data-testid=no-pickups]").is_visible()
    manifest.refresh_from_db()
    assert (manifest.status, manifest.vehicle_plate) == (ManifestStatus.IN_TRANSIT, "贵D12345")

    # The receiver weighs, accepts and records the treatment.
    receiver = browse("receiver")
    receiver.log_in("clerk_r")
    receiver.page.goto(f"/transfers/manifests/{manifest.pk}/")
    receiver.page.click("[data-testid=receive]")
    settle(receiver)
    receiver.page.fill("input[name=line-0-received_quantity_t]", "12.4")
    receiver.page.click("[data-testid=sign-receipt]")
    settle(receiver)
    assert receiver.page.get_attribute("[data-testid=manifest-status]", "data-status") == "received"
    receiver.page.click("[data-testid=treat]")
    settle(receiver)
    receiver.page.select_option("select[name=line-0-method]", str(f.method("R9").pk))
    receiver.page.click("[data-testid=sign-treatment]")
    settle(receiver)
    assert receiver.page.get_attribute("[data-testid=manifest-status]", "data-status") == "completed"
    manifest.refresh_from_db()
    assert manifest.status == ManifestStatus.COMPLETED and not manifest.has_discrepancy

    # The park's officer reads the trail.
    officer = browse("officer")
    officer.log_in("officer_a")
    officer.page.goto("/transfers/manifests/")
    officer.page.click(f"text={manifest.number}")
    settle(officer)
    steps = officer.page.locator("[data-testid=timeline] [data-action]")
    assert [steps.nth(i).get_attribute("data-action") for i in range(steps.count())] == [
        "submit",
        "pickup",
        "receive",
        "treat",
    ]
    timeline = officer.page.inner_text("[data-testid=timeline]")
    for name in ("preparer_x", "driver_c", "clerk_r", "Carrier C", "Receiver R"):
        assert name in timeline
    assert officer.page.locator("[data-testid=actions]").count() == 0

    for session in (consignor, driver, receiver, officer):
        assert session.console_errors == [], session.name
        assert session.external_requests == [], session.name
