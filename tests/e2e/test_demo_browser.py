"""In a real browser, right after `make run`'s steps (migrate, load_catalogue, load_demo): the officer's
dashboard of the demo park is alive, a manifest reads whole, the enterprise portal has work in it and the
driver's phone shows the load waiting. With DEMO_SCREENSHOTS=<folder> (`make screenshots`) the pages are
saved there for the README."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from registry.demo import DEMO_PASSWORD
from reporting.demo import load_demo
from transfers.models import Manifest, ManifestStatus

pytestmark = [pytest.mark.browser, pytest.mark.demo, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("DEMO_SCREENSHOTS", "")


def keep(session, name: str) -> None:
    if SCREENSHOTS:
        folder = Path(settings.BASE_DIR) / SCREENSHOTS
        folder.mkdir(parents=True, exist_ok=True)
        session.page.screenshot(path=str(folder / f"{name}.png"), full_page=name != "phone-pickups")


def settle(session) -> None:
    session.page.wait_for_load_state("networkidle")


@pytest.fixture
def demo_park(catalogue):
    return load_demo(now=timezone.now())


def test_the_officer_finds_the_demo_park_alive_right_after_make_run(browse, demo_park):
    officer = browse("officer")
    officer.log_in("officer", DEMO_PASSWORD)
    page = officer.page
    page.goto("/reporting/")
    settle(officer)
    for chart in ("gauge", "trend", "sankey"):
        page.wait_for_selector(f"[data-chart={chart}] canvas", state="attached", timeout=15_000)
    assert re.search(r"8\d(\.\d+)?\s*%", page.inner_text("[data-testid=gauge-text]"))
    assert page.locator("[data-testid=trend-table] tbody tr").count() > 0
    assert page.locator("[data-testid=flow-table] tbody tr").count() > 0
    assert page.locator("[data-testid=computed-at]").inner_text().strip()
    for severity in ("critical", "warning"):
        count = page.locator(f"[data-testid=warnings-{severity}]").locator("xpath=..").inner_text()
        assert int(re.findall(r"\d+", count)[-1]) > 0, severity
    assert officer.console_errors == [] and officer.external_requests == []
    keep(officer, "officer-dashboard")

    slag = Manifest.objects.filter(status=ManifestStatus.COMPLETED, consignor__name__contains="电解锰")
    completed = slag.latest("pk")
    page.goto(f"/transfers/manifests/{completed.pk}/")
    settle(officer)
    assert completed.number in page.inner_text("main")
    keep(officer, "manifest")

    preparer = browse("preparer")
    preparer.log_in("preparer", DEMO_PASSWORD)
    preparer.page.goto("/")
    settle(preparer)
    assert preparer.page.locator("main").inner_text().strip()
    keep(preparer, "enterprise-portal")

    driver = browse("driver", viewport=PHONE)
    driver.log_in("driver", DEMO_PASSWORD)
    driver.page.goto("/transfers/pickups/")
    settle(driver)
    waiting = Manifest.objects.get(status=ManifestStatus.SUBMITTED)
    assert driver.page.locator(f"[data-testid=pickup-card][data-manifest='{waiting.pk}']").is_visible()
    keep(driver, "phone-pickups")
