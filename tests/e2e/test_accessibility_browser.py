"""In a real browser, each persona's main pages in Chinese and in English pass axe-core's WCAG 2.1 A and
AA rules (contrast, names and labels, landmarks, language), checked with the axe-core the application
serves itself (static/vendor, from `make assets`); a keyboard user's first Tab reaches the skip link;
the driver's phone lands on the loads waiting for pickup. Each page checked leaves a screenshot in
test-artifacts/ (a11y-<persona>-<language>-<page>.png)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from reporting.models import Warning
from tests.reporting.views_seed import overdue_manifest, recompute_now, seed_ledger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""


def settle(session) -> None:
    session.page.wait_for_load_state("networkidle")


def violations_on(session, path: str, shot: str) -> list[str]:
    """Open `path`, run axe on it, save a screenshot; the violations as readable lines."""
    page = session.page
    page.goto(path)
    settle(session)
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe.min.js")
    found = page.evaluate(RUN_AXE, WCAG_21_AA)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"a11y-{shot}.png"), full_page=True)
    return [f"{path} [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found]


def switch_language(session) -> str:
    """Press the header's language switch, as a reader would; the new language's code."""
    page = session.page
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():  # on a phone the switch sits in the folded menu
        toggler.click()
    # The switch posts a form; wait for the page it leads to, not for the current one to be idle (on a
    # slow machine the click returned before the navigation began, and the old page's language was read).
    with page.expect_navigation():
        page.click("[data-testid=language-switch]")
    settle(session)
    return page.evaluate("() => document.documentElement.lang")


def check_pages(session, persona: str, paths: dict[str, str]) -> list[str]:
    problems: list[str] = []
    session.page.goto(next(iter(paths.values())))
    for _ in range(2):  # Chinese first (the platform's language), then English
        language = session.page.evaluate("() => document.documentElement.lang")
        for name, path in paths.items():
            problems += violations_on(session, path, f"{persona}-{language}-{name}")
        if language == "en":
            break
        assert language == "zh-hans"
        assert switch_language(session) == "en"
    return problems


@pytest.fixture
def working_day(preparer_x, x_store, hazardous_draft, advance, officer_a, clerk_r):
    seed_ledger(preparer_x, x_store)
    manifest = overdue_manifest(hazardous_draft, advance)
    recompute_now()
    return {"manifest": manifest, "warning": Warning.objects.filter(manifest=manifest).first()}


def test_the_officers_main_pages_meet_wcag_21_aa_in_both_languages(browse, working_day):
    officer = browse("officer")
    officer.log_in("officer_a")
    manifest = working_day["manifest"]
    paths = {
        "dashboard": reverse("reporting:dashboard"),
        "enterprises": reverse("registry:enterprise_list"),
        "permits": reverse("registry:permit_list"),
        "manifests": reverse("transfers:manifest_list"),
        "manifest": reverse("transfers:manifest_detail", args=[manifest.pk]),
        "warnings": reverse("reporting:warning_list"),
        "reports": reverse("reporting:report_list"),
        "inspections": reverse("reporting:inspection_list"),
    }
    if working_day["warning"] is not None:
        paths["warning"] = reverse("reporting:warning_detail", args=[working_day["warning"].pk])
    problems = check_pages(officer, "officer", paths)
    assert problems == [], "\n".join(problems)
    assert officer.console_errors == [] and officer.external_requests == []


def test_the_enterprise_clerks_main_pages_meet_wcag_21_aa_in_both_languages(browse, working_day):
    clerk = browse("clerk")
    clerk.log_in("preparer_x")
    assert clerk.page.url.endswith(reverse("transfers:manifest_list"))
    paths = {
        "manifests": reverse("transfers:manifest_list"),
        "manifest": reverse("transfers:manifest_detail", args=[working_day["manifest"].pk]),
        "ledger": reverse("transfers:ledger_list"),
        "ledger-entry": reverse("transfers:ledger_new"),
        "stock": reverse("transfers:stock_list"),
        "reports": reverse("reporting:report_list"),
    }
    problems = check_pages(clerk, "clerk", paths)
    assert problems == [], "\n".join(problems)
    # In English, the longer language, the header stays on one line on a 1366 px screen.
    clerk.page.set_viewport_size({"width": 1366, "height": 900})
    clerk.page.goto(reverse("transfers:ledger_list"))
    settle(clerk)
    assert clerk.page.locator(".app-navbar").bounding_box()["height"] < 64
    clerk.page.screenshot(path=str(ARTIFACTS / "a11y-clerk-en-header-1366.png"))
    # The menu offers no pickup to a generator's clerk.
    assert clerk.page.locator(f"nav a[href='{reverse('transfers:pickup_list')}']").count() == 0


def test_the_drivers_phone_lands_on_the_loads_to_collect(browse, hazardous_draft, advance, driver_c):
    advance(hazardous_draft, "submitted")
    driver = browse("driver", viewport=PHONE)
    driver.log_in("driver_c")
    page = driver.page
    assert page.url.endswith(reverse("transfers:pickup_list"))
    assert page.locator("[data-testid=pickup-card]").count() == 1
    # Nothing wider than the phone: no sideways scrolling, no name squeezed to a character a line.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "driver-phone-landing.png"), full_page=True)
    problems = check_pages(driver, "driver", {"pickups": reverse("transfers:pickup_list")})
    assert problems == [], "\n".join(problems)


def test_the_login_and_error_pages_meet_wcag_21_aa_and_start_with_a_skip_link(browse, preparer_x):
    visitor = browse("visitor")
    problems = check_pages(visitor, "visitor", {"login": reverse("login"), "not-found": "/no-such-page/"})
    assert problems == [], "\n".join(problems)

    # The sign-in form puts the cursor in the user name; any other page starts with the skip link.
    page = visitor.page
    page.goto("/no-such-page/")
    settle(visitor)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({cls: document.activeElement.className, href: document.activeElement.getAttribute('href'),"
        " outline: getComputedStyle(document.activeElement).outlineStyle,"
        " visible: document.activeElement.getBoundingClientRect().width > 1})"
    )
    assert "skip-link" in focused["cls"] and focused["href"] == "#main" and focused["visible"]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # The sign-in form's fields show where the cursor is.
    page.goto(reverse("login"))
    settle(visitor)
    page.focus("input[name=username]")
    assert (
        page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
        or page.evaluate("() => getComputedStyle(document.activeElement).boxShadow") != "none"
    )
    page.screenshot(path=str(ARTIFACTS / "a11y-login-focus.png"))
