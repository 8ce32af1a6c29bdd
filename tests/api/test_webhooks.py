"""Webhooks: signed deliveries of the events a client may see, retried with backoff, never in the request."""

import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from registry.clients import create_api_client
from registry.models import ApiScope
from tests.api.conftest import bearer, error_of
from transfers import services
from transfers.models import Manifest
from wasteparks import webhooks
from wasteparks.celery import app
from wasteparks.models import (
    Notification,
    NotificationKind,
    OutboxMessage,
    WebhookDelivery,
    WebhookSubscription,
)

WEBHOOKS = "/api/v1/webhooks/"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_verifier():
    """The verification example of docs/api.md, run as published."""
    text = DOCS.read_text()
    code = re.search(r"<!-- webhook-verification-example -->\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the documentation's own example
    return namespace["verify_webhook"]


class Receiver:
    """A local HTTP endpoint that records what it is sent and answers as told (ok, 500 or hang)."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.mode = "ok"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                if receiver.mode == "hang":
                    time.sleep(3)
                code = 500 if receiver.mode == "fail" else 204
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def erp_x_of_admin(enterprise_x, admin_x):
    """Enterprise X's ERP client, created by X's administrator (who is told when its webhook is disabled)."""
    client, token = create_api_client(
        name="X ERP (webhooks)", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x, created_by=admin_x
    )
    caller = bearer(token)
    caller.api_client = client
    return caller


def subscribe(caller, url, event_types=("manifest.changed",)):
    response = caller.post(WEBHOOKS, {"url": url, "event_types": list(event_types)})
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def outbox_rows():
    """Not eager: the outbox writes rows, as in production, and nothing runs in the test's process."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def test_a_subscription_answers_its_secret_once(erp_x, receiver):
    created = subscribe(erp_x, receiver.url)
    assert created["secret"].startswith("whsec_")
    listed = erp_x.get(WEBHOOKS).json()["results"]
    assert [row["id"] for row in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in erp_x.get(f"{WEBHOOKS}{created['id']}/").json()


def test_submitting_a_manifest_returns_at_once_and_queues_a_signed_delivery(
    erp_x, hazardous_draft, receiver, outbox_rows
):
    subscription = subscribe(erp_x, receiver.url)
    receiver.mode = "hang"  # were anything sent in the request, the request would wait on it

    response = erp_x.post(f"/api/v1/manifests/{hazardous_draft.pk}/submit/", {})

    assert response.status_code == 200, response.content
    assert Manifest.objects.get(pk=hazardous_draft.pk).status == "submitted"
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get(subscription_id=subscription["id"])
    assert delivery.status == "pending" and delivery.attempts == 0
    assert OutboxMessage.objects.filter(task="wasteparks.webhooks.deliver_webhook", args=[delivery.pk]).exists()

    receiver.mode = "ok"
    webhooks.deliver(delivery_id=delivery.pk)  # what the worker does with the outbox message

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.last_status_code == 204 and delivery.attempts == 1
    headers, body = receiver.received[0]
    verify = documented_verifier()
    assert verify(subscription["secret"], headers["Webhook-Signature"], body)
    assert not verify("whsec_wrong", headers["Webhook-Signature"], body)
    assert not verify(subscription["secret"], headers["Webhook-Signature"], body + b" ")
    assert headers["Webhook-Id"] == str(delivery.event_id)
    assert headers["Webhook-Event"] == "manifest.changed"
    assert f"t={headers['Webhook-Timestamp']}," in headers["Webhook-Signature"]
    assert b'"status":"submitted"' in body and f"/api/v1/manifests/{hazardous_draft.pk}/".encode() in body


def test_a_failing_endpoint_is_retried_with_backoff(erp_x, hazardous_draft, preparer_x, receiver, outbox_rows):
    subscribe(erp_x, receiver.url)
    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    delivery = WebhookDelivery.objects.get()
    receiver.mode = "fail"

    before = timezone.now()
    webhooks.deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code == 500
    first_wait = delivery.next_attempt_at - before
    assert timedelta(seconds=29) < first_wait <= timedelta(seconds=31)

    assert webhooks.queue_due(now=timezone.now()) == 0  # not due yet
    assert webhooks.queue_due(now=delivery.next_attempt_at) == 1

    before = timezone.now()
    webhooks.deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert timedelta(seconds=59) < delivery.next_attempt_at - before <= timedelta(seconds=61)


def test_an_endpoint_that_hangs_is_cut_off_by_the_timeout(erp_x, hazardous_draft, preparer_x, receiver, outbox_rows):
    subscribe(erp_x, receiver.url)
    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    delivery = WebhookDelivery.objects.get()
    receiver.mode = "hang"

    webhooks.deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code is None and "timed out" in delivery.response_excerpt
    assert delivery.last_duration_ms < 2500


def test_a_subscription_failing_too_often_is_disabled_and_its_owner_told(
    erp_x_of_admin, admin_x, hazardous_draft, preparer_x, advance, receiver, settings, outbox_rows
):
    settings.WEBHOOK_DISABLE_AFTER = 2
    subscription = subscribe(erp_x_of_admin, receiver.url)
    receiver.mode = "fail"
    advance(hazardous_draft, "in_transit")  # two events: submitted, then picked up
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert len(deliveries) == 2

    for delivery in deliveries:
        webhooks.deliver(delivery_id=delivery.pk)

    row = WebhookSubscription.objects.get(pk=subscription["id"])
    assert not row.is_active and row.disabled_reason == "consecutive_failures"
    assert Notification.objects.filter(user=admin_x, kind=NotificationKind.WEBHOOK_DISABLED).count() == 1
    # Disabled: the sweep leaves its deliveries alone, and new events no longer reach it.
    assert webhooks.queue_due(now=timezone.now() + timedelta(days=1)) == 0
    advance(hazardous_draft, "received")
    assert WebhookDelivery.objects.count() == 2

    enabled = erp_x_of_admin.post(f"{WEBHOOKS}{subscription['id']}/enable/", {})
    assert enabled.status_code == 200 and enabled.json()["is_active"] is True
    assert enabled.json()["consecutive_failures"] == 0


def test_a_delivery_can_be_replayed_with_the_same_event_id(
    erp_x, hazardous_draft, preparer_x, receiver, django_assert_max_num_queries
):
    subscription = subscribe(erp_x, receiver.url)
    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery_id=delivery.pk)

    replayed = erp_x.post(f"{WEBHOOKS}{subscription['id']}/deliveries/{delivery.pk}/replay/", {})
    assert replayed.status_code == 202, replayed.content
    webhooks.deliver(delivery_id=delivery.pk)

    assert [headers["Webhook-Id"] for headers, _ in receiver.received] == [str(delivery.event_id)] * 2
    with django_assert_max_num_queries(8):
        log = erp_x.get(f"{WEBHOOKS}{subscription['id']}/deliveries/").json()["results"]
    assert [(row["id"], row["attempts"], row["status"]) for row in log] == [(delivery.pk, 2, "delivered")]


def test_a_client_receives_only_events_it_may_see(
    erp_x, erp_y, provincial_platform, hazardous_draft, preparer_x, receiver
):
    x_sub = subscribe(erp_x, receiver.url)
    y_sub = subscribe(erp_y, receiver.url)
    province_sub = subscribe(provincial_platform, receiver.url)

    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)

    receiving = set(WebhookDelivery.objects.values_list("subscription_id", flat=True))
    assert receiving == {x_sub["id"], province_sub["id"]}
    assert y_sub["id"] not in receiving


def test_another_clients_subscription_and_deliveries_are_404(erp_x, erp_y, hazardous_draft, preparer_x, receiver):
    x_sub = subscribe(erp_x, receiver.url)
    services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    delivery = WebhookDelivery.objects.get()

    assert erp_y.get(WEBHOOKS).json()["results"] == []
    assert erp_y.get(f"{WEBHOOKS}{x_sub['id']}/").status_code == 404
    assert erp_y.get(f"{WEBHOOKS}{x_sub['id']}/deliveries/").status_code == 404
    assert erp_y.post(f"{WEBHOOKS}{x_sub['id']}/deliveries/{delivery.pk}/replay/", {}).status_code == 404
    assert erp_y.patch(f"{WEBHOOKS}{x_sub['id']}/", {"url": "https://y.example.com/"}).status_code == 404
    assert erp_y.delete(f"{WEBHOOKS}{x_sub['id']}/").status_code == 404
    assert WebhookSubscription.objects.get(pk=x_sub["id"]).url == receiver.url


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "not a url", "event_types": ["manifest.changed"]}, "url"),
        ({"url": "http://hooks.example.com/", "event_types": ["manifest.changed"]}, "url"),
        ({"url": "https://127.0.0.1/hook", "event_types": ["manifest.changed"]}, "url"),
        ({"url": "https://10.1.2.3/hook", "event_types": ["manifest.changed"]}, "url"),
        ({"url": "https://[::1]/hook", "event_types": ["manifest.changed"]}, "url"),
        ({"url": "https://93.184.215.14/hook", "event_types": ["manifest.exploded"]}, "event_types"),
        ({"url": "https://93.184.215.14/hook", "event_types": []}, "event_types"),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_written(erp_x, body, field):
    response = erp_x.post(WEBHOOKS, body)
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert not WebhookSubscription.objects.exists()


def test_a_person_signed_in_cannot_subscribe(preparer_x):
    from tests.api.conftest import session_of

    response = session_of(preparer_x, csrf=False).post(
        WEBHOOKS, {"url": "https://93.184.215.14/hook", "event_types": ["manifest.changed"]}
    )
    assert response.status_code == 403
    assert not WebhookSubscription.objects.exists()


def test_a_filed_report_is_published_to_its_enterprise_and_the_province_only(
    erp_x, erp_y, provincial_platform, report_x, preparer_x, receiver
):
    from reporting.services import reports

    x_sub = subscribe(erp_x, receiver.url, ["report.changed"])
    y_sub = subscribe(erp_y, receiver.url, ["report.changed"])
    province_sub = subscribe(provincial_platform, receiver.url, ["manifest.changed"])  # not this type

    reports.submit_monthly_report(report=report_x, actor=preparer_x)

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.subscription_id == x_sub["id"] and delivery.event_type == "report.changed"
    assert delivery.payload["report_id"] == report_x.pk and delivery.payload["status"] == "submitted"
    assert delivery.payload["url"] == f"/api/v1/monthly-reports/{report_x.pk}/"
    assert {y_sub["id"], province_sub["id"]}.isdisjoint({delivery.subscription_id})


def test_an_officers_action_on_a_warning_is_published_to_whoever_may_read_it(
    erp_x, erp_y, provincial_platform, park_b, enterprise_y, officer_b, receiver
):
    from reporting.warnings.lifecycle import acknowledge_warning
    from tests.reporting.views_seed import many_warnings

    [warning] = many_warnings(park=park_b, enterprise=enterprise_y, count=1)
    subs = {
        name: subscribe(caller, receiver.url, ["warning.changed"])["id"]
        for name, caller in {"x": erp_x, "y": erp_y, "province": provincial_platform}.items()
    }

    acknowledge_warning(warning=warning, actor=officer_b)

    receiving = set(WebhookDelivery.objects.values_list("subscription_id", flat=True))
    assert receiving == {subs["y"], subs["province"]}
    assert WebhookDelivery.objects.filter(payload__warning_id=warning.pk, payload__status="acknowledged").count() == 2


def test_warnings_the_engine_raises_and_closes_are_published_to_whoever_may_read_them(
    erp_x, erp_y, provincial_platform, enterprise_x, enterprise_y, receiver, django_assert_max_num_queries
):
    from django.utils import timezone

    from reporting.warnings.base import Context, Finding, Rule
    from reporting.warnings.engine import apply_rule

    def finding(key, enterprise):
        return Finding(
            dedup_key=key, park_id=enterprise.park_id, enterprise_id=enterprise.pk, params={"who": "-"}, evidence={}
        )

    class Anomaly(Rule):
        code = "GENERATION_ANOMALY"
        message_zh = message_en = "{who}"
        found: list[Finding] = []

        def findings(self, ctx):
            return self.found

    rule = Anomaly()
    quiet = finding("quiet", enterprise_x)
    # Nobody subscribed: the scan asks once and writes no delivery.
    rule.found = [quiet]
    with django_assert_max_num_queries(10):
        apply_rule(rule=rule, ctx=Context(now=timezone.now()))
    assert not WebhookDelivery.objects.exists()

    subs = {
        name: subscribe(caller, receiver.url, ["warning.changed"])["id"]
        for name, caller in {"x": erp_x, "y": erp_y, "province": provincial_platform}.items()
    }
    rule.found = [quiet, finding("x", enterprise_x), finding("y", enterprise_y)]
    apply_rule(rule=rule, ctx=Context(now=timezone.now()))
    deliveries = list(WebhookDelivery.objects.all())
    assert {(d.subscription_id, d.payload["enterprise_id"]) for d in deliveries} == {
        (subs["x"], enterprise_x.pk),
        (subs["y"], enterprise_y.pk),
        (subs["province"], enterprise_x.pk),
        (subs["province"], enterprise_y.pk),
    }
    assert {(d.payload["action"], d.payload["rule"]) for d in deliveries} == {("raised", "GENERATION_ANOMALY")}

    rule.found = [quiet, finding("x", enterprise_x)]  # Y's condition cleared: its warning closes itself
    apply_rule(rule=rule, ctx=Context(now=timezone.now()))
    closed = WebhookDelivery.objects.filter(payload__action="auto_closed")
    assert {(d.subscription_id, d.payload["status"]) for d in closed} == {
        (subs["y"], "resolved"),
        (subs["province"], "resolved"),
    }
