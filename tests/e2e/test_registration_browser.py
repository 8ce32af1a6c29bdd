"""In a real browser: an officer verifies a pending enterprise and switches the language."""

import pytest

from registry.models import Enterprise, EnterpriseStatus
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_verifies_a_pending_enterprise(browse, officer_a, park_a):
    pending = f.EnterpriseFactory(park=park_a, name="铜仁大龙待审核企业", status=EnterpriseStatus.PENDING)
    officer = browse("officer")
    officer.log_in("officer_a")
    assert officer.page.url.endswith("/reporting/")  # an officer starts the day on the dashboard
    officer.page.click("nav a[href='/registry/enterprises/']")
    officer.page.click("text=铜仁大龙待审核企业")
    officer.page.fill("textarea[name=reason]", "现场核查属实")
    officer.page.click("button[formaction$='/verify/']")
    officer.page.wait_for_load_state("networkidle")
    pending.refresh_from_db()
    assert pending.status == EnterpriseStatus.ACTIVE
    assert officer.page.locator(".status-active").first.is_visible()
    assert officer.console_errors == []
    assert officer.external_requests == []


def test_the_language_switch_turns_the_page_english_and_back(browse, officer_a, enterprise_x):
    officer = browse("officer")
    officer.log_in("officer_a")
    assert officer.page.locator("html").get_attribute("lang") == "zh-hans"
    assert "企业" in officer.page.inner_text("nav")
    with officer.page.expect_navigation():  # the switch posts a form: wait for the page it leads to
        officer.page.click("[data-testid=language-switch]")
    officer.page.wait_for_load_state("networkidle")
    assert officer.page.locator("html").get_attribute("lang") == "en"
    assert "Enterprises" in officer.page.inner_text("nav")
    with officer.page.expect_navigation():  # the switch posts a form: wait for the page it leads to
        officer.page.click("[data-testid=language-switch]")
    officer.page.wait_for_load_state("networkidle")
    assert officer.page.locator("html").get_attribute("lang") == "zh-hans"
    assert officer.console_errors == []


def test_a_clerk_registers_and_sees_field_errors_first(browse, park_a):
    f.UserFactory(username="clerk")
    clerk = browse("clerk")
    clerk.log_in("clerk")
    clerk.page.goto("/registry/enterprises/apply/")
    clerk.page.select_option("select[name=park]", str(park_a.pk))
    clerk.page.fill("input[name=credit_code]", "914403001922038217")
    clerk.page.fill("input[name=name]", "铜仁大龙浏览器测试企业")
    clerk.page.fill("input[name=industry_code]", "C3985")
    clerk.page.fill("input[name=contact_name]", "王强")
    clerk.page.fill("input[name=contact_phone]", "0856-1234567")
    clerk.page.click("main button[type=submit]")
    assert clerk.page.locator("input[name=credit_code].is-invalid").is_visible()
    assert clerk.page.input_value("input[name=name]") == "铜仁大龙浏览器测试企业"
    assert not Enterprise.objects.filter(name="铜仁大龙浏览器测试企业").exists()
    clerk.page.fill("input[name=credit_code]", "914403001922038216")
    clerk.page.click("main button[type=submit]")
    clerk.page.wait_for_load_state("networkidle")
    assert Enterprise.objects.get(name="铜仁大龙浏览器测试企业").status == EnterpriseStatus.PENDING
