"""In a real browser: a clerk files last month's report on the 14th (prefilled, balanced, one figure
adjusted with its reason, the balance check refusing the submission until the line is fixed), and the
park's officer accepts it."""

import pytest

from reporting.models import MonthlyReport, ReportStatus
from tests.e2e.conftest import ARTIFACTS
from tests.fixtures.reports import HW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(session) -> None:
    session.page.wait_for_load_state("networkidle")


def balanced(page) -> str:
    return page.get_attribute("[data-testid=balance-summary]", "data-balanced")


def test_a_clerk_files_the_prefilled_report_and_the_officer_accepts_it(
    browse,
    scripted_month,
    preparer_x,
    officer_a,
    enterprise_x,
):
    clerk = browse("clerk")
    clerk.log_in("preparer_x")
    page = clerk.page
    page.goto("/reporting/reports/")
    # The start form offers last month by default.
    assert page.input_value("[data-testid=start-report] input[name=period]") == str(scripted_month["period"])
    page.click("[data-testid=start-report-button]")
    settle(clerk)
    report = MonthlyReport.objects.get(enterprise=enterprise_x)
    assert page.get_attribute("[data-testid=report-status]", "data-status") == "draft"
    assert balanced(page) == "yes"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-prefilled.png"), full_page=True)

    line = page.locator(f"[data-testid=report-line][data-code='{HW}']")
    # An adjusted figure without a reason: a field error next to the reason, nothing saved.
    line.locator("input[name$=-generated_t]").fill("30")
    page.click("[data-testid=save-lines]")
    settle(clerk)
    assert line.locator("[data-testid=reason-error]").is_visible()
    assert report.current_revision.lines.get(waste_code__code=HW).generated_t == 25.5

    # With a reason it is saved, and the line no longer balances: shown, and the submission is refused.
    line.locator("input[name$=-generated_t]").fill("30")
    line.locator("input[name$=-adjustment_reason]").fill("地磅复核后更正")
    page.click("[data-testid=save-lines]")
    settle(clerk)
    assert balanced(page) == "no"
    assert line.get_attribute("data-balanced") == "no"
    assert page.locator(f"[data-testid=imbalance][data-code='{HW}']").is_visible()
    assert "44.75" in line.locator("[data-testid=expected-closing]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-unbalanced.png"), full_page=True)
    page.click("[data-testid=submit-report]")
    settle(clerk)
    assert page.get_attribute("[data-testid=report-status]", "data-status") == "draft"
    assert page.locator(".alert-danger[role=alert]").first.is_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT

    # Fixed: the closing stock follows the movements; it balances and goes in.
    line.locator("input[name$=-closing_stock_t]").fill("44.75")
    page.click("[data-testid=save-lines]")
    settle(clerk)
    assert balanced(page) == "yes"
    page.click("[data-testid=submit-report]")
    settle(clerk)
    assert page.get_attribute("[data-testid=report-status]", "data-status") == "submitted"
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    # The park's officer accepts it.
    officer = browse("officer")
    officer.log_in("officer_a")
    officer.page.goto("/reporting/reports/")
    officer.page.click(f"[data-testid=report-link][href$='/reports/{report.pk}/']")
    settle(officer)
    officer.page.click("[data-testid=accept-report]")
    settle(officer)
    assert officer.page.get_attribute("[data-testid=report-status]", "data-status") == "accepted"
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == (ReportStatus.ACCEPTED, officer_a)

    # The enterprise page shows the accepted report beside the stock, manifests and warnings.
    officer.page.goto(f"/reporting/enterprises/{enterprise_x.pk}/")
    for section in ("enterprise-stock", "enterprise-manifests", "enterprise-reports", "enterprise-warnings"):
        assert officer.page.locator(f"[data-testid={section}]").is_visible(), section
    assert officer.page.locator("[data-testid=enterprise-reports] .status-accepted").count() == 1
    officer.page.screenshot(path=str(ARTIFACTS / "enterprise-detail.png"), full_page=True)

    for session in (clerk, officer):
        # A refused form comes back with status 400 by design; Chromium logs that load, nothing else may fail.
        unexpected = [error for error in session.console_errors if "status of 400" not in error]
        assert unexpected == [], session.name
        assert session.external_requests == [], session.name
