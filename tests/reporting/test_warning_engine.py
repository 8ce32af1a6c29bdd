"""The warning engine: dedup (also under concurrent scans), manifest-triggered checks, the officers'
lifecycle, and mail sent once."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reporting import warnings as services
from reporting.models import Warning, WarningNotification, WarningStatus
from reporting.warnings import RULES_BY_CODE
from tests.transfers.factories import generate
from transfers.models import Manifest
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed

CAPACITY = (RULES_BY_CODE["STORAGE_OVER_CAPACITY"],)


def fill(preparer_x, x_store, quantity="460"):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity=quantity)


def test_a_rerun_never_duplicates_an_open_warning(preparer_x, x_store):
    fill(preparer_x, x_store)
    services.run_rules(rules=CAPACITY)
    services.run_rules(rules=CAPACITY)
    assert Warning.objects.filter(rule="STORAGE_OVER_CAPACITY").count() == 1
    assert Warning.objects.get().events.filter(action="raised").count() == 1


def test_the_database_refuses_a_second_live_warning_with_the_same_key(preparer_x, x_store):
    fill(preparer_x, x_store)
    services.run_rules(rules=CAPACITY)
    original = Warning.objects.get()
    original.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        original.save()


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_the_same_time_raise_one_warning(preparer_x, x_store):
    fill(preparer_x, x_store)
    barrier = threading.Barrier(2)
    errors = []

    def scan():
        try:
            barrier.wait(timeout=10)
            services.run_rules(rules=CAPACITY)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Warning.objects.filter(rule="STORAGE_OVER_CAPACITY").count() == 1
    assert Warning.objects.get().events.filter(action="raised").count() == 1


def test_a_transfer_signature_triggers_the_rules_of_its_manifest(
    hazardous_draft, advance, django_capture_on_commit_callbacks
):
    manifest = advance(hazardous_draft, "in_transit")
    Manifest.objects.filter(pk=manifest.pk).update(picked_up_at=timezone.now() - timedelta(days=4))
    from transfers.signals import send_manifest_changed

    with django_capture_on_commit_callbacks(execute=True):
        send_manifest_changed(manifest_id=manifest.pk, action="pickup")
    [warning] = Warning.objects.filter(rule="MANIFEST_OVERDUE")

    with django_capture_on_commit_callbacks(execute=True):
        advance(manifest, "received")
    warning.refresh_from_db()
    assert warning.status == WarningStatus.RESOLVED


def test_the_rule_check_is_queued_in_the_transaction_of_the_manifest_change(
    hazardous_draft, preparer_x, monkeypatch, django_capture_on_commit_callbacks
):
    from reporting.tasks.warnings import check_manifest_rules
    from transfers import services as transfer_services
    from wasteparks import outbox
    from wasteparks.celery import app
    from wasteparks.models import OutboxMessage

    # With a broker (eager off) the check travels as an outbox row; the publish itself is replaced.
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with mock.patch.object(app, "send_task") as send_task:
            with pytest.raises(RuntimeError), transaction.atomic():
                transfer_services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
                queued = OutboxMessage.objects.get()
                assert (queued.task, queued.args, queued.sent_at) == (
                    check_manifest_rules.name,
                    [hazardous_draft.pk],
                    None,
                )
                raise RuntimeError("the request fails after the signature")
            # Rolled back with the signature it followed: nothing to check, nothing sent.
            assert not OutboxMessage.objects.exists()
            hazardous_draft.refresh_from_db()
            assert hazardous_draft.status == "draft"

            with django_capture_on_commit_callbacks(execute=True):
                transfer_services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
                assert OutboxMessage.objects.get().sent_at is None
            assert not send_task.called  # the signer's request never publishes ...
            assert outbox.relay() == 1  # ... the relay does, once the change has committed
    finally:
        app.conf.task_always_eager = eager
    send_task.assert_called_once()
    assert send_task.call_args.args == (check_manifest_rules.name,)
    assert send_task.call_args.kwargs["args"] == [hazardous_draft.pk]
    assert OutboxMessage.objects.get().sent_at is not None


def test_officer_acknowledges_assigns_and_resolves_with_history(preparer_x, x_store, officer_a, park_a):
    from tests import factories as f

    colleague = f.park_officer(f.UserFactory(username="officer_a2"), park_a)
    fill(preparer_x, x_store)
    services.run_rules(rules=CAPACITY)
    warning = Warning.objects.get()

    services.acknowledge_warning(warning=warning, actor=officer_a, note="On it")
    services.assign_warning(warning=warning, actor=officer_a, assignee=colleague)
    services.resolve_warning(warning=warning, actor=colleague, note="Waste collected on site visit")

    warning.refresh_from_db()
    assert (warning.status, warning.assignee, warning.closed_reason) == ("resolved", colleague, "officer")
    assert list(warning.events.values_list("action", flat=True)) == ["raised", "acknowledge", "assign", "resolve"]
    with pytest.raises(TransitionNotAllowed):
        services.acknowledge_warning(warning=warning, actor=officer_a)


def test_only_officers_of_the_park_act_and_closing_needs_a_note(preparer_x, x_store, officer_b, officer_a):
    fill(preparer_x, x_store)
    services.run_rules(rules=CAPACITY)
    warning = Warning.objects.get()
    with pytest.raises(NotPermitted):
        services.acknowledge_warning(warning=warning, actor=officer_b)
    with pytest.raises(NotPermitted):
        services.dismiss_warning(warning=warning, actor=preparer_x, note="not a problem")
    with pytest.raises(RuleViolation):
        services.dismiss_warning(warning=warning, actor=officer_a, note=" ")


def test_a_dismissed_warning_is_not_raised_again_until_its_condition_cleared(preparer_x, x_store, officer_a):
    fill(preparer_x, x_store)
    services.run_rules(rules=CAPACITY)
    services.dismiss_warning(warning=Warning.objects.get(), actor=officer_a, note="Temporary, agreed with the park")
    services.run_rules(rules=CAPACITY)
    assert Warning.objects.live().count() == 0

    x_store.capacity_t = 5000
    x_store.save()
    services.run_rules(rules=CAPACITY)  # cleared once
    x_store.capacity_t = 500
    x_store.save()
    services.run_rules(rules=CAPACITY)
    assert Warning.objects.live().count() == 1


def test_a_critical_warning_is_mailed_at_once_to_officers_and_contacts_only_once(
    preparer_x, x_store, officer_a, officer_b, enterprise_x, django_capture_on_commit_callbacks
):
    fill(preparer_x, x_store, quantity="501")  # over capacity: critical
    with django_capture_on_commit_callbacks(execute=True):
        services.run_rules(rules=CAPACITY)
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([officer_a.email, preparer_x.email, enterprise_x.contact_email])
    assert "Critical warning" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        services.run_rules(rules=CAPACITY)
    services.notify_immediately(warning_id=Warning.objects.get().pk)
    assert services.send_daily_digest() == 0
    assert len(mail.outbox) == 3


def test_the_daily_digest_lists_other_warnings_once_per_address(preparer_x, x_store, officer_a, enterprise_x):
    fill(preparer_x, x_store)  # 92 %: a warning, not critical
    services.run_rules(rules=CAPACITY)
    assert mail.outbox == []

    assert services.send_daily_digest() == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [officer_a.email, preparer_x.email, enterprise_x.contact_email]
    )
    assert "Daily warning digest" in mail.outbox[0].subject
    assert services.send_daily_digest() == 0
    assert WarningNotification.objects.count() == 3
