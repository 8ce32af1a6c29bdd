"""In a real browser: long jobs. An officer recomputes last year and watches the progress page count the
months as the job recomputes them; an officer exports a list too large for the request, follows it to
its page, downloads the file and finds the notice in the inbox.

For the recompute the queued job is run by this test (as a worker would run it, in a thread of its own),
one month at a time on the test's signal, so the page is seen between months."""

import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from reporting.services import utilization
from tests.reporting.views_seed import seed_ledger
from wasteparks.celery import app
from wasteparks.models import OutboxMessage
from wasteparks.periods import Period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


def settle(session) -> None:
    session.page.wait_for_load_state("networkidle")


@pytest.fixture
def queued_not_run():
    """Jobs are queued in the outbox and wait for a worker, as in production (not run in the request)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def run_month_by_month(message: OutboxMessage, gate: threading.Semaphore, errors: list) -> threading.Thread:
    """Run the queued task in a thread of its own; each month waits for a permit from `gate`."""
    real = utilization.recompute_period

    def gated(**kwargs):
        assert gate.acquire(timeout=60), "the test never let the next month go"
        return real(**kwargs)

    def work():
        try:
            app.tasks[message.task].apply(args=message.args, kwargs=message.kwargs, task_id=str(message.task_id))
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    utilization.recompute_period = gated
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.restore = lambda: setattr(utilization, "recompute_period", real)  # type: ignore[attr-defined]
    return thread


def months_shown(page, done: int) -> None:
    page.wait_for_selector(f"[data-testid=recompute-steps][data-done='{done}']", timeout=15_000)


def test_an_officer_follows_a_year_recompute_month_by_month(
    browse, officer_a, park_a, preparer_x, x_store, queued_not_run
):
    seed_ledger(preparer_x, x_store)
    year = Period.containing().year - 1
    officer = browse("officer")
    officer.log_in("officer_a")
    page = officer.page
    page.goto(f"/reporting/recompute/?park={park_a.pk}")
    settle(officer)
    page.fill("input[name=period]", f"{year}-12")
    page.check("input[name=whole_year]")
    page.click("[data-testid=start-recompute]")
    settle(officer)
    assert page.get_attribute("[data-testid=recompute-status]", "data-state") == "PENDING"

    message = OutboxMessage.objects.get(task="reporting.tasks.utilization.recompute_span")
    gate, errors = threading.Semaphore(0), []
    worker = run_month_by_month(message, gate, errors)
    try:
        months_shown(page, 0)
        gate.release(3)
        months_shown(page, 3)
        assert page.get_attribute("[data-testid=recompute-steps]", "data-total") == "12"
        assert page.get_attribute("[data-testid=recompute-status]", "data-state") == "PROGRESS"
        assert page.get_attribute("[role=progressbar]", "aria-valuenow") == "25"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "recompute-year-progress.png"), full_page=True)
        gate.release(9)
        worker.join(timeout=60)
    finally:
        gate.release(12)
        worker.restore()
    assert errors == []
    page.wait_for_selector("[data-testid=recompute-done]", timeout=15_000)
    assert page.get_attribute("[data-testid=recompute-steps]", "data-done") == "12"
    page.screenshot(path=str(ARTIFACTS / "recompute-year-done.png"), full_page=True)
    assert officer.console_errors == []
    assert officer.external_requests == []


def test_an_officer_downloads_a_background_export_and_is_told_in_the_inbox(
    browse, officer_a, enterprise_x, carrier_c, receiver_r, enterprise_y, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 2  # officer A's three enterprises are "too many" for the request
    officer = browse("officer")
    officer.log_in("officer_a")
    page = officer.page
    page.goto("/registry/enterprises/")
    settle(officer)
    page.click("[data-testid=export-csv]")
    settle(officer)
    assert "/exports/" in page.url
    page.wait_for_selector("[data-testid=export-download]", timeout=15_000)
    assert page.get_attribute("[data-testid=export-status]", "data-state") == "ready"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "background-export-ready.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("[data-testid=export-download]")
    download = download_info.value
    assert download.suggested_filename.startswith("enterprises-") and download.suggested_filename.endswith(".csv")
    body = Path(download.path()).read_text(encoding="utf-8-sig")
    assert enterprise_x.name in body and receiver_r.name in body and enterprise_y.name not in body

    # The header's badge counts the notice; the inbox links back to the export.
    page.goto("/registry/enterprises/")
    page.wait_for_selector("[data-testid=inbox-unread]", timeout=10_000)
    # The count, followed by "unread" for screen readers only.
    assert page.get_attribute("[data-testid=inbox-badge]", "data-unread") == "1"
    assert page.inner_text("[data-testid=inbox-unread]").split()[0] == "1"
    page.click("[data-testid=inbox-badge]")
    settle(officer)
    page.click("[data-testid=notification-open]")
    settle(officer)
    assert "/exports/" in page.url
    page.goto("/inbox/")
    settle(officer)
    assert page.get_attribute("[data-testid=notification]", "data-unread") == "0"
    assert officer.console_errors == []
    assert officer.external_requests == []
