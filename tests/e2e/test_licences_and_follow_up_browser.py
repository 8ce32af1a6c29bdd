"""In a real browser: an officer records a licence from the paper copy and verifies it; an officer follows a
warning up with an inspection and records its rectification, and the warning page shows each step."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registry.models import Permit
from registry.rules import LicenceStatus
from reporting.models import Inspection, Warning
from tests import factories as f
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_records_a_licence_from_the_paper_copy_and_verifies_it(browse, officer_a, park_a):
    receiver = f.EnterpriseFactory(park=park_a, name="铜仁大龙危废利用公司", is_generator=False, is_receiver=True)
    officer = browse("officer")
    officer.log_in("officer_a")
    officer.page.goto("/registry/permits/")
    officer.page.click("[data-testid=permit-new]")
    page = officer.page
    page.select_option("select[name=enterprise]", str(receiver.pk))
    page.select_option("select[name=kind]", "hw_operating")
    page.fill("input[name=number]", "GZ5206-2026-018")
    page.fill("input[name=issuer]", "贵州省生态环境厅")
    today = timezone.localdate()
    page.fill("input[name=valid_from]", str(today))
    page.fill("input[name=valid_to]", str(today + timedelta(days=4 * 365)))
    page.check("input[name=covers_storage]")
    page.check("input[name=covers_utilization]")
    page.fill("input[name=line-0-code]", "900-249-08")
    page.fill("input[name=line-0-method]", "R9")
    page.fill("input[name=line-0-annual_capacity_t]", "5000")
    page.fill("input[name=line-1-code]", "HW49")
    page.fill("input[name=line-1-method]", "R4")
    page.fill("input[name=line-1-annual_capacity_t]", "1200")
    page.click("[data-testid=permit-save]")
    page.wait_for_load_state("networkidle")

    permit = Permit.objects.get(number="GZ5206-2026-018")
    assert permit.status == LicenceStatus.PENDING and permit.lines.count() == 2
    assert page.get_attribute("[data-testid=permit-status]", "data-status") == "pending"
    assert "HW49" in page.inner_text("[data-testid=permit-lines]")
    page.fill("textarea[name=reason]", "与正本核对一致")
    page.click("[data-testid=permit-verify]")
    page.wait_for_load_state("networkidle")
    permit.refresh_from_db()
    assert permit.status == LicenceStatus.VALID and permit.decided_by == officer_a
    assert page.get_attribute("[data-testid=permit-status]", "data-status") == "valid"
    assert "与正本核对一致" in page.inner_text("[data-testid=permit-history]")
    page.screenshot(path=str(ARTIFACTS / "licence-verified.png"), full_page=True)
    assert officer.console_errors == []
    assert officer.external_requests == []


def test_a_warning_is_followed_up_by_an_inspection_until_rectified(browse, officer_a, park_a, enterprise_x):
    warning = Warning.objects.create(
        rule="STORAGE_OVER_LIMIT", severity="critical", park=park_a, enterprise=enterprise_x,
        message_zh="危险废物贮存超过一年", message_en="Hazardous waste stored over a year",
        dedup_key="browser:follow-up", raised_at=timezone.now(),
    )  # fmt: skip
    officer = browse("officer")
    officer.log_in("officer_a")
    page = officer.page
    page.goto(f"/reporting/warnings/{warning.pk}/")
    page.click("[data-testid=record-inspection]")
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=kind]", "site_visit")
    page.fill("textarea[name=findings]", "贮存库内HW08废矿物油超期贮存")
    page.fill("textarea[name=required_rectification]", "30日内委托有资质单位转移处置")
    page.fill("input[name=rectification_deadline]", str(timezone.localdate() + timedelta(days=30)))
    page.click("[data-testid=save-inspection]")
    page.wait_for_load_state("networkidle")
    inspection = Inspection.objects.get()
    assert list(inspection.warnings.all()) == [warning]

    page.goto(f"/reporting/warnings/{warning.pk}/")
    follow_up = page.locator("[data-testid=warning-inspection]")
    assert follow_up.count() == 1 and "超期贮存" in follow_up.inner_text()
    assert follow_up.locator("[data-testid=inspection-state]").get_attribute("data-state") == "open"

    follow_up.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("textarea[name=note]", "已转移至铜仁大龙危废利用公司")
    page.click("[data-testid=mark-rectified]")
    page.wait_for_load_state("networkidle")
    inspection.refresh_from_db()
    assert inspection.status == "rectified"

    page.goto(f"/reporting/warnings/{warning.pk}/")
    state = page.locator("[data-testid=warning-inspection] [data-testid=inspection-state]")
    assert state.get_attribute("data-state") == "rectified"
    page.screenshot(path=str(ARTIFACTS / "warning-inspection-rectified.png"), full_page=True)
    page.goto(f"/reporting/enterprises/{enterprise_x.pk}/")
    assert "超期贮存" in page.inner_text("[data-testid=enterprise-inspections]")
    assert page.locator("[data-testid=enterprise-record-inspection]").is_visible()
    assert officer.console_errors == []
    assert officer.external_requests == []
