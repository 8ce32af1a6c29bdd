"""In a real browser: the park officer's morning. The dashboard draws its charts from local assets, the
officer follows a warning to its manifest and back, and resolves it with a note."""

from pathlib import Path

import pytest
from django.conf import settings

from reporting.models import Warning, WarningStatus
from tests.reporting.views_seed import overdue_manifest, recompute_now, seed_ledger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHARTS = ("gauge", "trend", "sankey")


def settle(session) -> None:
    session.page.wait_for_load_state("networkidle")


@pytest.fixture
def morning(preparer_x, x_store, hazardous_draft, advance, officer_a, provincial, park_b):
    seed_ledger(preparer_x, x_store)
    manifest = overdue_manifest(hazardous_draft, advance)
    recompute_now()
    return Warning.objects.get(rule="MANIFEST_OVERDUE", manifest=manifest)


def charts_drawn(session) -> None:
    page = session.page
    for name in CHARTS:
        page.wait_for_selector(f"[data-chart={name}] canvas", state="attached", timeout=10_000)


def test_an_officer_reads_the_dashboard_and_resolves_a_warning(browse, morning):
    officer = browse("officer")
    officer.log_in("officer_a")
    page = officer.page
    page.goto("/reporting/")
    settle(officer)
    charts_drawn(officer)
    assert page.locator("[data-testid=this-month] tbody tr").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-park.png"), full_page=True)

    # From the open warnings to the list, to the warning, to its manifest and back.
    severity = morning.severity
    page.click(f"[data-testid=warnings-{severity}]")
    settle(officer)
    page.click(f"[data-testid=warning-link][data-warning='{morning.pk}']")
    settle(officer)
    assert page.get_attribute("[data-testid=warning-status]", "data-status") == "open"
    page.click("[data-testid=subject-manifest]")
    settle(officer)
    assert page.url.endswith(f"/transfers/manifests/{morning.manifest_id}/")
    page.go_back()
    settle(officer)

    page.fill("textarea[name=resolve-note]", "承运人已确认送达。")
    page.click("[data-testid=resolve]")
    settle(officer)
    assert page.get_attribute("[data-testid=warning-status]", "data-status") == "resolved"
    assert page.locator("[data-testid=warning-history] [data-action=resolve]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "warning-resolved.png"), full_page=True)
    morning.refresh_from_db()
    assert morning.status == WarningStatus.RESOLVED

    assert officer.console_errors == []
    assert officer.external_requests == []


def test_the_provincial_officer_compares_parks(browse, morning):
    provincial = browse("provincial")
    provincial.log_in("provincial")
    page = provincial.page
    page.goto("/reporting/")
    settle(provincial)
    charts_drawn(provincial)
    assert page.locator("[data-testid=park-row]").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-province.png"), full_page=True)
    assert provincial.console_errors == []
    assert provincial.external_requests == []
