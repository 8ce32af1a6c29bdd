"""In a real browser: an enterprise named like markup stays text in the dashboard's flow chart. Its
Sankey tooltip shows the name literally, builds no element from it and runs nothing."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.reporting.views_seed import overdue_manifest, recompute_now, seed_ledger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture
def hostile_flow(enterprise_x, preparer_x, x_store, hazardous_draft, advance, officer_a):
    """Enterprise X, renamed to markup, ships to R this month: a flow in park A's Sankey."""
    enterprise_x.name = HOSTILE
    enterprise_x.save(update_fields=["name"])
    seed_ledger(preparer_x, x_store)
    overdue_manifest(hazardous_draft, advance)
    recompute_now()
    return enterprise_x


SHOW_TIP = """(name) => {
  const element = document.querySelector("[data-chart=sankey]");
  const chart = echarts.getInstanceByDom(element);
  const nodes = JSON.parse(document.getElementById("dashboard-data").textContent).sankey.nodes;
  const index = nodes.findIndex((node) => node.label === name);
  chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: index });
  return index;
}"""


def test_a_hostile_enterprise_name_stays_text_in_the_sankey_tooltip(browse, hostile_flow):
    officer = browse("officer")
    officer.log_in("officer_a")
    page = officer.page
    page.goto("/reporting/")
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("[data-chart=sankey] canvas", state="attached", timeout=10_000)

    index = page.evaluate(SHOW_TIP, HOSTILE)
    assert index >= 0, "the hostile enterprise is a node of the Sankey"
    # ECharts puts its HTML tooltip in a div inside the chart's element.
    tooltip = page.locator("[data-chart=sankey] > div").filter(has_text=HOSTILE).first
    tooltip.wait_for(state="visible", timeout=5_000)

    assert HOSTILE in tooltip.inner_text()
    assert tooltip.locator("img").count() == 0
    assert page.locator("[data-chart=sankey] img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-hostile-name.png"), full_page=True)
    assert officer.external_requests == []
