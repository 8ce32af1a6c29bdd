"""Browser tests: Playwright driving Debian's Chromium headless against a live server.

A failing test leaves a screenshot in test-artifacts/. Requests to any host other than the live server
are aborted and recorded, so a page that reaches for a CDN fails its test.
"""

import os
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
PASSWORD = "correct-horse-battery"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium; `make test` installs it)."
        )
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def plain_static(settings):
    # The live server serves static files through the finders, which know the files by their plain names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


class BrowserSession:
    """One person's browser context: pages, console errors, and requests that tried to leave the host."""

    def __init__(self, browser, base_url: str, name: str, viewport: dict | None = None):
        self.name = name
        self.base_url = base_url
        self.context = browser.new_context(
            base_url=base_url, locale="zh-CN", viewport=viewport or {"width": 1280, "height": 900}
        )
        self.console_errors: list[str] = []
        self.external_requests: list[str] = []
        own_host = urlparse(base_url).netloc
        self.context.route("**/*", lambda route: self._guard(route, own_host))
        self.page = self.context.new_page()
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def _guard(self, route, own_host: str) -> None:
        url = route.request.url
        if urlparse(url).netloc not in ("", own_host) and not url.startswith(("data:", "blob:")):
            self.external_requests.append(url)
            route.abort()
        else:
            route.continue_()

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto("/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        if "/accounts/two-factor/" in self.page.url:
            self.pass_second_factor(username)

    def pass_second_factor(self, username: str) -> None:
        """Officers and administrators have a second sign-in step (registry/signin.py): enter the current
        code of their authenticator, setting one up first when they have none (as its page offers)."""
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        setting_up = self.page.locator("[data-testid=totp-secret]").count() > 0
        device = TOTPDevice.objects.filter(user__username=username, confirmed=not setting_up).latest("pk")
        # A code is accepted once: a second sign-in of the same person within its 30 s waits for the next.
        while device.last_t >= int(time.time()) // device.step:
            time.sleep(1)
        self.page.fill("input[name=token]", f"{totp(device.bin_key):06d}")
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        if setting_up:  # the recovery codes are shown once; go on to the page asked for
            self.page.click("main a.btn-success")
            self.page.wait_for_load_state("networkidle")


@pytest.fixture
def browse(browser, live_server, plain_static, request):
    """browse("officer") opens a new browser context; several may run side by side.

    browse("driver", viewport={"width": 390, "height": 844}) opens one the size of a phone.
    """
    sessions: list[BrowserSession] = []

    def open_session(name: str = "main", viewport: dict | None = None) -> BrowserSession:
        session = BrowserSession(browser, live_server.url, name, viewport=viewport)
        sessions.append(session)
        return session

    yield open_session
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for session in sessions:
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            session.page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{session.name}.png"), full_page=True)
        session.context.close()
