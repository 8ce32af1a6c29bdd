"""In a real browser: the consignor's clerk prints the manifest of a completed transfer on one A4 sheet in
Chinese, and whoever scans its QR code sees the record, or "not on record" for a forged code."""

import re

import pytest

from registry.models import Enterprise
from tests.e2e.conftest import ARTIFACTS
from transfers.models import Manifest
from transfers.views import verification_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def completed(hazardous_draft, advance, enterprise_x, preparer_x, driver_c, clerk_r):
    Enterprise.objects.filter(pk=enterprise_x.pk).update(name="铜仁市锰业有限公司", address="铜仁市大龙经开区1号")
    for user, name in ((preparer_x, "刘洋"), (driver_c, "孙强"), (clerk_r, "周丽")):
        user.full_name = name
        user.save(update_fields=["full_name"])
    Manifest.objects.filter(pk=hazardous_draft.pk).update(emergency_measures="泄漏时用沙土围堵，禁止明火。")
    return advance(hazardous_draft, "completed")


def test_the_clerk_prints_the_national_form_on_one_a4_sheet(browse, completed):
    clerk = browse("consignor")
    clerk.log_in("preparer_x")
    clerk.page.goto(f"/transfers/manifests/{completed.pk}/print/")
    form = clerk.page.locator("[data-testid=manifest-form]")
    text = form.inner_text()
    sections = ("危险废物转移联单", "第一部分", "第二部分", "第三部分")
    for expected in (*sections, "铜仁市大龙经开区1号", "禁止明火", "刘洋", "孙强", "周丽"):
        assert expected in text, expected
    ARTIFACTS.mkdir(exist_ok=True)
    clerk.page.emulate_media(media="print")
    clerk.page.screenshot(path=str(ARTIFACTS / "print-manifest-zh-hans.png"), full_page=True)
    # The browser's own print to PDF, with the print stylesheet: one A4 page, the on-screen buttons hidden.
    printed = clerk.page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (ARTIFACTS / "print-manifest-zh-hans.pdf").write_bytes(printed)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", printed)) == 1
    assert not clerk.page.locator("text=下载 PDF").is_visible()
    assert clerk.console_errors == [] and clerk.external_requests == []


def test_a_scanned_copy_shows_the_record_and_a_forged_one_says_not_on_record(browse, completed):
    phone = browse("inspector", viewport=PHONE)
    phone.page.goto(f"/transfers/verify/{verification_token(completed)}/")
    facts = phone.page.locator("[data-testid=verification]").inner_text()
    assert completed.number in facts
    assert "900-249-08" in phone.page.locator("[data-testid=verification-lines]").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.page.screenshot(path=str(ARTIFACTS / "verify-real-zh-hans.png"), full_page=True)
    phone.page.goto("/transfers/verify/1.0.forged.code/")
    assert phone.page.locator("[data-testid=not-on-record]").inner_text() == "查无此联单"
    phone.page.screenshot(path=str(ARTIFACTS / "verify-forged-zh-hans.png"), full_page=True)
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
