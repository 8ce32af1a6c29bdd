"""Every side effect written to the outbox, with the broker down and with the mail server down.

For each `outbox.enqueue` call site (the discrepancy mail and the rule check after a receipt, the
recompute queued by an accepted report, the officer's recompute, the mail of a new critical warning; the
rule checks after a manifest is created or signed are in test_redis_down.py):

- broker down (this process's Celery app points at a port nothing listens on, eager mode off): the write
  answers success, the message waits unsent in the outbox, and once the broker is back the relay publishes
  it and a real worker runs it;
- mail server down (the worker's SMTP port refuses): the write still answers success and the mail task
  is retried, not lost.
"""

import pytest
from django.urls import reverse

from reporting.models import UtilizationSnapshot, Warning
from reporting.tasks.audit import verify_audit_chain
from tests.faults.conftest import DEAD_BROKER_URL, broker_at, real_worker, wait_for
from tests.fixtures.reports import last_period, make_report
from tests.reporting.views_seed import seed_ledger
from tests.security.test_audit_chain import tamper
from tests.transfers.factories import generate
from tests.transfers.test_api import client_for
from wasteparks import outbox
from wasteparks.celery import app
from wasteparks.models import OutboxMessage
from wasteparks.periods import Period

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CHECK = "reporting.tasks.warnings.check_manifest_rules"
DISCREPANCY_MAIL = "transfers.tasks.mail_discrepancy"
WARNING_MAIL = "reporting.tasks.warnings.notify_warning"
REFRESH = "reporting.tasks.utilization.refresh_park_period"
RECOMPUTE = "reporting.tasks.utilization.recompute_park_period"

# The worker prints the mails it sends into its log, so a test can read what went out.
MAIL_IN_LOG = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
# Port 1: nothing listens, a connect is refused at once.
SMTP_DOWN = {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": "1",
}
WORKER_SECONDS = 60


@pytest.fixture
def nothing_queued():
    """The broker's queues and the outbox start empty (after the fixtures before it in the test's
    arguments): what the setup queued is not what the test is about."""
    app.control.purge()
    OutboxMessage.objects.all().delete()


def unsent() -> list[tuple[str, list]]:
    return [(m.task, m.args) for m in OutboxMessage.objects.filter(sent_at=None).order_by("id")]


def waiting_while_the_broker_is_down() -> list[OutboxMessage]:
    """The relay's pass while the broker is still down publishes nothing: the messages wait, the first
    with the broker's error (the pass stops there). Call inside broker_at(DEAD_BROKER_URL)."""
    assert outbox.relay() == 0
    messages = list(OutboxMessage.objects.filter(sent_at=None).order_by("id"))
    assert messages and messages[0].attempts >= 1 and "Error" in messages[0].last_error, messages
    return messages


def run_by_a_worker_once_the_broker_is_back(messages: list[OutboxMessage], tmp_path, env=None) -> str:
    """The relay publishes the waiting messages; a real worker runs each of them. Returns its log."""
    log = tmp_path / "worker.log"
    with real_worker(log, env=env):
        assert outbox.relay() == len(messages)
        assert not OutboxMessage.objects.filter(sent_at=None).exists()
        for message in messages:
            done = f"{message.task}[{message.task_id}] succeeded"
            wait_for(lambda done=done: done in log.read_text(), WORKER_SECONDS, done)
    assert outbox.relay() == 0
    return log.read_text()


def retried_by_a_worker_with_the_mail_server_down(task: str, tmp_path) -> str:
    log = tmp_path / "worker.log"
    with real_worker(log, env=SMTP_DOWN):
        outbox.relay()
        [message] = OutboxMessage.objects.filter(task=task)
        assert message.sent_at is not None  # the broker is up: handed over
        retry = f"{task}[{message.task_id}] retry: Retry in"
        wait_for(lambda: retry in log.read_text(), WORKER_SECONDS, retry)
    return log.read_text()


@pytest.fixture
def in_transit(hazardous_draft, advance):
    return advance(hazardous_draft, "in_transit")


def receive_short(receiver_r, manifest, r_store):
    """The receiver's system confirms receipt of 9 t of the declared 10 t: a discrepancy."""
    line = {"line": 1, "received_quantity_t": "9.0", "acceptance": "accepted", "facility": r_store.pk}
    return client_for(receiver_r, "R ERP").post(f"/api/v1/manifests/{manifest.pk}/receive/", {"lines": [line]})


# --- a receipt with a discrepancy: the rule check and the consignor's mail ---------------------------


def test_a_receipt_succeeds_with_the_broker_down_and_its_rule_check_and_mail_go_out_once_it_is_back(
    in_transit, receiver_r, r_store, enterprise_x, preparer_x, nothing_queued, without_eager, tmp_path
):
    with broker_at(DEAD_BROKER_URL):
        response = receive_short(receiver_r, in_transit, r_store)
        waiting = waiting_while_the_broker_is_down()
    assert response.status_code == 200, response.content
    assert response.json()["has_discrepancy"] is True
    assert unsent() == [(CHECK, [in_transit.pk]), (DISCREPANCY_MAIL, [in_transit.pk, "0.05"])]

    log = run_by_a_worker_once_the_broker_is_back(waiting, tmp_path, env=MAIL_IN_LOG)
    assert in_transit.number in log
    assert enterprise_x.contact_email in log and preparer_x.email in log


def test_a_receipt_succeeds_with_the_mail_server_down_and_the_consignors_mail_is_retried(
    in_transit, receiver_r, r_store, nothing_queued, without_eager, tmp_path
):
    response = receive_short(receiver_r, in_transit, r_store)
    assert response.status_code == 200, response.content
    log = retried_by_a_worker_with_the_mail_server_down(DISCREPANCY_MAIL, tmp_path)
    assert "ConnectionRefusedError" in log


# --- an accepted report: the park's month brought up to date ----------------------------------------


def test_accepting_a_report_succeeds_with_the_broker_down_and_the_parks_month_is_refreshed_once_it_is_back(
    client, enterprise_x, officer_a, park_a, nothing_queued, without_eager, tmp_path
):
    period = last_period()
    report = make_report(enterprise=enterprise_x, period=period, status="submitted", lines={"900-249-08": {}})
    client.force_login(officer_a)
    with broker_at(DEAD_BROKER_URL):
        response = client.post(reverse("reporting:report_accept", args=[report.pk]), {"comment": "Checked"})
        waiting = waiting_while_the_broker_is_down()
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "accepted"
    assert unsent() == [(REFRESH, [park_a.pk, period.year, period.month])]

    run_by_a_worker_once_the_broker_is_back(waiting, tmp_path)


# --- the officer's recompute -----------------------------------------------------------------------


def test_an_officers_recompute_starts_with_the_broker_down_and_runs_once_it_is_back(
    client, preparer_x, x_store, officer_a, park_a, nothing_queued, without_eager, tmp_path
):
    seed_ledger(preparer_x, x_store)
    period = Period.containing()
    client.force_login(officer_a)
    with broker_at(DEAD_BROKER_URL):
        response = client.post(reverse("reporting:recompute"), {"park": park_a.pk, "period": str(period)})
        [message] = waiting_while_the_broker_is_down()
    assert response.status_code == 302
    assert (message.task, message.args) == (RECOMPUTE, [park_a.pk, period.year, period.month])
    assert str(message.task_id) in response["Location"]  # the progress page follows the waiting message
    assert not UtilizationSnapshot.objects.filter(park=park_a).exists()

    run_by_a_worker_once_the_broker_is_back([message], tmp_path)
    assert UtilizationSnapshot.objects.filter(park=park_a, year=period.year, month=period.month).exists()


# --- a new critical warning: the officers' mail -----------------------------------------------------


@pytest.fixture
def tampered(preparer_x, x_store):
    entry = generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="12")
    tamper("transfers_ledgerentry", "UPDATE transfers_ledgerentry SET quantity_t = %s WHERE id = %s", ["1", entry.pk])
    return entry


def test_a_critical_warning_raised_with_the_broker_down_is_mailed_once_it_is_back(
    tampered, officer_a, nothing_queued, without_eager, tmp_path
):
    with broker_at(DEAD_BROKER_URL):
        assert verify_audit_chain() == 1  # the nightly job itself succeeds
        waiting = waiting_while_the_broker_is_down()
    warning = Warning.objects.get(rule="AUDIT_CHAIN_BROKEN")
    assert unsent() == [(WARNING_MAIL, [warning.pk])]

    log = run_by_a_worker_once_the_broker_is_back(waiting, tmp_path, env=MAIL_IN_LOG)
    assert officer_a.email in log
    assert warning.notifications.get().email == officer_a.email


def test_a_critical_warning_mail_is_retried_while_the_mail_server_is_down(
    tampered, officer_a, nothing_queued, without_eager, tmp_path
):
    assert verify_audit_chain() == 1
    retried_by_a_worker_with_the_mail_server_down(WARNING_MAIL, tmp_path)
    warning = Warning.objects.get(rule="AUDIT_CHAIN_BROKEN")
    assert not warning.notifications.exists()  # a failed send records no one as told
