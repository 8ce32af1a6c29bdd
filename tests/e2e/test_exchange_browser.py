"""In real browsers, in Chinese: Enterprise X's clerk publishes a stream of waste mineral oil on the exchange,
accepts the best match into a manifest, and the park's officer reads the opportunities page."""

import pytest

from reporting.models import StreamListing
from tests.e2e.conftest import ARTIFACTS
from tests.reporting.test_opportunities import disposed_stream, disposer_d  # noqa: F401 (fixtures)
from transfers.models import Manifest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(session) -> None:
    session.page.wait_for_load_state("networkidle")


def shoot(session, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_clerk_publishes_a_stream_and_accepts_a_match_into_a_manifest(
    browse, parties, enterprise_x, carrier_c, receiver_r, x_store
):
    clerk = browse("clerk")
    clerk.log_in("preparer_x")
    page = clerk.page
    page.goto("/reporting/exchange/")
    page.click("[data-testid=publish-stream]")
    settle(clerk)
    page.fill("input[name=waste_code]", "900-249-08")
    page.fill("input[name=monthly_t]", "8")
    page.fill("textarea[name=properties]", "含水率低于5%，200升铁桶")
    page.click("[data-testid=publish]")
    settle(clerk)
    stream = StreamListing.objects.get()
    assert page.url.endswith(f"/reporting/exchange/streams/{stream.pk}/")
    matches = page.locator("[data-testid=match]")
    assert matches.count() == 1
    assert receiver_r.name in matches.first.inner_text()
    assert "利用" in matches.first.inner_text()
    shoot(clerk, "exchange-stream-matches")

    matches.first.locator("[data-testid=prepare]").click()
    settle(clerk)
    assert page.input_value("select[name=receiver]") == str(receiver_r.pk)
    assert page.input_value("select[name=purpose]") == "utilization"
    assert page.input_value("input[name=line-0-waste_code]") == "900-249-08"
    assert page.input_value("input[name=line-0-declared_quantity_t]") == "8"
    page.select_option("select[name=carrier]", str(carrier_c.pk))
    page.select_option("select[name=line-0-source_facility]", str(x_store.pk))
    page.select_option("select[name=line-0-packaging_type]", "drum")
    page.fill("input[name=line-0-packaging_count]", "40")
    page.select_option("select[name=line-0-physical_form]", "liquid")
    page.click("[data-testid=save-draft]")
    settle(clerk)
    manifest = Manifest.objects.get()
    assert (manifest.consignor, manifest.receiver, manifest.purpose) == (enterprise_x, receiver_r, "utilization")
    assert clerk.console_errors == [] and clerk.external_requests == []


def test_the_officer_reads_the_opportunities_page_in_chinese(browse, disposed_stream, officer_a, receiver_r):  # noqa: F811
    officer = browse("officer")
    officer.log_in("officer_a")
    officer.page.goto("/reporting/opportunities/")
    settle(officer)
    table = officer.page.locator("[data-testid=opportunity-table]")
    text = table.inner_text()
    assert "900-249-08" in text and receiver_r.name in text
    assert "+40.0 个百分点" in text
    shoot(officer, "opportunities-officer")
    assert officer.console_errors == [] and officer.external_requests == []
