"""Receipt per line: received quantity and acceptance; beyond the tolerance a discrepancy, and the
consignor is told."""

from decimal import Decimal
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from tests.transfers.factories import draft, receipt, stock, treatment
from transfers import services
from transfers.models import LedgerEntry, ManifestStatus
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_transit(hazardous_draft, advance):
    return advance(hazardous_draft, "in_transit")


def receive(manifest, clerk_r, r_store, **line1):
    return services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store, line1=line1))


def test_a_difference_within_the_tolerance_is_not_a_discrepancy(
    in_transit, clerk_r, r_store, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(in_transit, clerk_r, r_store, received=Decimal("9.5"))  # exactly 5 % short
    in_transit.refresh_from_db()
    assert not in_transit.has_discrepancy
    assert not in_transit.lines.get().is_discrepancy
    assert mail.outbox == []


def test_a_difference_beyond_the_tolerance_is_a_discrepancy_and_the_consignor_is_told(
    in_transit, clerk_r, r_store, receiver_r, enterprise_x, preparer_x, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(in_transit, clerk_r, r_store, received=Decimal("9.4999"))
    in_transit.refresh_from_db()
    line = in_transit.lines.get()
    assert in_transit.status == ManifestStatus.RECEIVED
    assert line.is_discrepancy and in_transit.has_discrepancy
    assert stock(receiver_r, r_store, "900-249-08") == Decimal("9.4999")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert in_transit.number in message.subject
    assert set(message.to) == {enterprise_x.contact_email, preparer_x.email}
    assert "declared 10.0000 t, received 9.4999 t (-5.00 %)" in message.body


def test_the_tolerance_is_a_setting(in_transit, clerk_r, r_store, settings, django_capture_on_commit_callbacks):
    settings.QUANTITY_TOLERANCE = Decimal("0.10")
    with django_capture_on_commit_callbacks(execute=True):
        receive(in_transit, clerk_r, r_store, received=Decimal("10.9"))
    in_transit.refresh_from_db()
    assert not in_transit.has_discrepancy
    assert mail.outbox == []


def test_a_partial_rejection_accepts_part_and_sends_the_rest_back_to_the_consignor(
    in_transit, clerk_r, r_store, receiver_r, enterprise_x, x_store
):
    receive(
        in_transit,
        clerk_r,
        r_store,
        acceptance="partially_rejected",
        accepted=Decimal("7"),
        reason="three drums leaking",
    )
    line = in_transit.lines.get()
    assert (line.received_quantity_t, line.accepted_quantity_t, line.acceptance) == (
        Decimal("10"),
        Decimal("7"),
        "partially_rejected",
    )
    assert line.rejection_reason == "three drums leaking"
    assert stock(receiver_r, r_store, "900-249-08") == Decimal("7")
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("93")
    services.treat_manifest(manifest=in_transit, actor=clerk_r, lines=treatment(in_transit, "R9"))
    assert stock(receiver_r, r_store, "900-249-08") == Decimal("0")


def test_a_rejection_needs_a_reason(in_transit, clerk_r, r_store):
    with pytest.raises(RuleViolation) as refused:
        receive(in_transit, clerk_r, r_store, acceptance="partially_rejected", accepted=Decimal("7"))
    assert refused.value.code == "rejection_reason_required"
    in_transit.refresh_from_db()
    assert in_transit.status == ManifestStatus.IN_TRANSIT


def test_refusing_every_line_asks_for_a_rejection_of_the_load(in_transit, clerk_r, r_store):
    with pytest.raises(RuleViolation) as refused:
        receive(in_transit, clerk_r, r_store, acceptance="rejected", reason="wrong waste")
    assert refused.value.code == "whole_load_rejected"
    assert not LedgerEntry.objects.filter(stage="received").exists()


@pytest.mark.parametrize("received", [Decimal("-1"), Decimal("1000000.5"), "lots", Decimal("1.00001")])
def test_a_bad_received_quantity_is_refused_and_nothing_changes(in_transit, clerk_r, r_store, received, receiver_r):
    with pytest.raises(RuleViolation) as refused:
        receive(in_transit, clerk_r, r_store, received=received)
    assert refused.value.code == "invalid_quantity"
    in_transit.refresh_from_db()
    assert in_transit.status == ManifestStatus.IN_TRANSIT
    assert in_transit.lines.get().received_quantity_t is None
    assert stock(receiver_r, r_store, "900-249-08") == Decimal("0")


def test_every_line_is_received_exactly_once(
    parties, enterprise_x, carrier_c, receiver_r, x_store, r_store, preparer_x, clerk_r, advance
):
    manifest = draft(
        actor=preparer_x,
        consignor=enterprise_x,
        carrier=carrier_c,
        receiver=receiver_r,
        facility=x_store,
        lines=[("900-249-08", "3"), ("900-249-08", "4")],
    )
    advance(manifest, "in_transit")
    with pytest.raises(RuleViolation) as refused:
        services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store)[:1])
    assert refused.value.code == "receipt_lines_mismatch"


def test_receipt_into_another_enterprises_facility_is_refused(in_transit, clerk_r, x_store):
    with pytest.raises(RuleViolation) as refused:
        services.receive_manifest(manifest=in_transit, actor=clerk_r, lines=receipt(in_transit, x_store))
    assert refused.value.code == "facility_not_of_enterprise"


class RefusingMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("the mail server is down")


def test_a_mail_server_that_is_down_never_fails_a_committed_receipt(
    in_transit, clerk_r, r_store, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    with django_capture_on_commit_callbacks(execute=True):
        receive(in_transit, clerk_r, r_store, received=Decimal("9"))
    in_transit.refresh_from_db()
    assert in_transit.status == ManifestStatus.RECEIVED
    assert in_transit.has_discrepancy
    assert mail.outbox == []


def test_with_a_broker_the_discrepancy_mail_is_an_outbox_row_of_the_receipts_transaction(in_transit, clerk_r, r_store):
    from transfers.tasks import mail_discrepancy
    from wasteparks.celery import app
    from wasteparks.models import OutboxMessage

    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            receive(in_transit, clerk_r, r_store, received=Decimal("9"))
            queued = OutboxMessage.objects.get(task=mail_discrepancy.name)
            assert queued.args == [in_transit.pk, "0.05"]
            raise RuntimeError("the request fails after the receipt")
    finally:
        app.conf.task_always_eager = eager
    assert not OutboxMessage.objects.filter(task=mail_discrepancy.name).exists()


def test_the_mail_speaks_chinese_and_english(in_transit, clerk_r, r_store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receive(in_transit, clerk_r, r_store, received=Decimal("9"))
    (message,) = mail.outbox
    assert "数量差异" in message.subject and "Quantity discrepancy" in message.subject
    assert "申报 10.0000 吨，实收 9.0000 吨（-10.00 %）" in message.body
    assert "declared 10.0000 t, received 9.0000 t (-10.00 %)" in message.body


def test_a_discrepancy_mail_delivered_twice_by_the_broker_reaches_the_consignor_once(in_transit, clerk_r, r_store):
    """A worker lost after sending: Celery delivers the same message again, and the consignor is not
    told twice. A first attempt that failed (the mail server away) leaves the message to its retry."""
    from transfers.tasks import mail_discrepancy
    from wasteparks import outbox
    from wasteparks.models import OutboxMessage

    receive(in_transit, clerk_r, r_store, received=Decimal("9"))
    mail.outbox.clear()
    message = OutboxMessage.objects.create(task=mail_discrepancy.name, args=[in_transit.pk, "0.05"])
    with pytest.raises(SMTPServerDisconnected), outbox.once(str(message.task_id)) as first:
        assert first
        raise SMTPServerDisconnected("the mail server is down")
    message.refresh_from_db()
    assert message.done_at is None
    for _delivery in range(2):
        mail_discrepancy.apply(args=[in_transit.pk, "0.05"], task_id=str(message.task_id))
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.done_at is not None
