"""A broken audit chain is a critical AUDIT_CHAIN_BROKEN warning for the officers of the park whose
records it concerns (and the province), raised by the nightly verification once per break; and the rows
written before the chain existed are linked by the backfill, so verify_audit covers every row."""

import importlib

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reporting.models import Warning, WarningAction, WarningStatus
from reporting.tasks.audit import verify_audit_chain
from reporting.warnings import resolve_warning
from tests import factories as f
from tests.security.test_audit_chain import postgres_only, tamper, verify_output
from tests.transfers.factories import generate
from transfers.models import LedgerEntry, LedgerStage
from wasteparks import audit
from wasteparks.models import AuditLink

pytestmark = pytest.mark.django_db

HW = "900-249-08"
RULE = "AUDIT_CHAIN_BROKEN"
UPDATE_QUANTITY = "UPDATE transfers_ledgerentry SET quantity_t = %s WHERE id = %s"


def broken():
    return list(Warning.objects.filter(rule=RULE).order_by("pk"))


@pytest.fixture
def entry(preparer_x, x_store):
    return generate(actor=preparer_x, facility=x_store, code=HW, quantity="12")


@pytest.fixture
def y_entry(preparer_y, enterprise_y):
    y_store = f.FacilityFactory(enterprise=enterprise_y, name="Y hazardous waste store", capacity_t=500)
    return generate(actor=preparer_y, facility=y_store, code=HW, quantity="4")


@postgres_only
def test_a_tampered_ledger_row_is_reported_by_verify_audit_and_the_nightly_job_opens_one_critical_warning(
    entry, preparer_x, x_store, park_a, park_b, officer_a, django_capture_on_commit_callbacks
):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="3")  # an untouched neighbour
    tamper("transfers_ledgerentry", UPDATE_QUANTITY, ["1.2", entry.pk])
    link = AuditLink.objects.get(table="transfers.ledgerentry", row_id=entry.pk)

    code, output = verify_output()
    assert (code, output.splitlines()) == (
        1,
        [f"transfers.ledgerentry #{entry.pk}: differs from audit link #{link.sequence}"],
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert verify_audit_chain() == 1
    [warning] = broken()
    assert (warning.severity, warning.status, warning.park_id, warning.enterprise_id) == (
        "critical",
        WarningStatus.OPEN,
        park_a.pk,
        None,
    )
    assert warning.evidence["table"] == "transfers.ledgerentry"
    assert warning.evidence["row_id"] == entry.pk
    assert warning.evidence["audit_link"] == link.sequence
    assert warning.evidence["problems"] == 1
    assert f"transfers.ledgerentry #{entry.pk}" in warning.message_en
    assert f"transfers.ledgerentry #{entry.pk}" in warning.message_zh and "审计链" in warning.message_zh
    # Critical: the park's officers are mailed at once.
    assert [message.to for message in mail.outbox] == [[officer_a.email]]

    with django_capture_on_commit_callbacks(execute=True):
        assert verify_audit_chain() == 1  # the next night: the same break
    assert broken() == [warning]
    assert list(warning.events.values_list("action", flat=True)) == [WarningAction.RAISED]
    assert len(mail.outbox) == 1


@postgres_only
def test_the_parks_officers_and_the_province_see_the_warning_and_the_enterprise_and_another_park_do_not(
    client, entry, officer_a, officer_b, provincial, preparer_x
):
    tamper("transfers_ledgerentry", UPDATE_QUANTITY, ["1.2", entry.pk])
    verify_audit_chain()
    [warning] = broken()
    for persona, status in ((officer_a, 200), (provincial, 200), (officer_b, 404), (preparer_x, 404)):
        client.force_login(persona)
        response = client.get(reverse("reporting:warning_detail", args=[warning.pk]))
        assert response.status_code == status, persona.username
        assert Warning.objects.visible_to(persona).filter(pk=warning.pk).exists() == (status == 200)


@postgres_only
def test_a_break_in_park_bs_records_is_raised_in_park_b_only(y_entry, entry, park_b, officer_a):
    tamper("transfers_ledgerentry", UPDATE_QUANTITY, ["1", y_entry.pk])
    verify_audit_chain()
    [warning] = broken()
    assert warning.park_id == park_b.pk
    assert warning.evidence["row_id"] == y_entry.pk
    assert not Warning.objects.visible_to(officer_a).exists()


@postgres_only
def test_a_deleted_row_no_park_can_be_traced_to_is_raised_in_every_park(entry, park_a, park_b):
    link = AuditLink.objects.get(table="transfers.ledgerentry", row_id=entry.pk)
    tamper("transfers_ledgerentry", "DELETE FROM transfers_ledgerentry WHERE id = %s", [entry.pk])
    assert verify_audit_chain() == 1
    warnings = broken()
    assert {w.park_id for w in warnings} == {park_a.pk, park_b.pk}
    for warning in warnings:
        assert warning.evidence["table"] == "transfers.ledgerentry"
        assert warning.evidence["row_id"] == entry.pk
        assert (
            warning.evidence["first_problem"]
            == f"transfers.ledgerentry #{entry.pk}: missing (audit link #{link.sequence})"
        )


@postgres_only
def test_a_row_put_back_leaves_the_warning_open_until_an_officer_resolves_it(entry, officer_a):
    tamper("transfers_ledgerentry", UPDATE_QUANTITY, ["1.2", entry.pk])
    verify_audit_chain()
    tamper("transfers_ledgerentry", UPDATE_QUANTITY, ["12", entry.pk])  # changed back, outside the application
    assert verify_audit_chain() == 0
    [warning] = broken()
    assert warning.status == WarningStatus.OPEN  # not "the condition cleared"

    resolve_warning(warning=warning, actor=officer_a, note="Row restored by the database administrator; reported.")
    verify_audit_chain()
    warning.refresh_from_db()
    assert warning.status == WarningStatus.RESOLVED and broken() == [warning]


@postgres_only
def test_a_resolved_break_stays_closed_but_a_further_break_in_the_park_opens_a_new_warning(
    entry, preparer_x, x_store, officer_a
):
    other = generate(actor=preparer_x, facility=x_store, code=HW, quantity="3")
    tamper("transfers_ledgerentry", UPDATE_QUANTITY, ["1.2", entry.pk])
    verify_audit_chain()
    [first] = broken()
    resolve_warning(warning=first, actor=officer_a, note="Explained: a test of the backup restore.")
    verify_audit_chain()
    assert broken() == [first]  # the same break: not raised again

    tamper("transfers_ledgerentry", UPDATE_QUANTITY, ["0.3", other.pk])
    verify_audit_chain()
    first_again, second = broken()
    assert first_again == first and second.status == WarningStatus.OPEN
    assert second.evidence["problems"] == 2
    assert {problem.split(":")[0] for problem in second.evidence["listed"]} == {
        f"transfers.ledgerentry #{entry.pk}",
        f"transfers.ledgerentry #{other.pk}",
    }


def test_an_intact_chain_raises_nothing(entry):
    assert verify_audit_chain() == 0
    assert broken() == []


# --- backfill ---------------------------------------------------------------------------------------


def pre_chain_entry(enterprise, facility, preparer) -> LedgerEntry:
    """A ledger row as the chain never saw it: bulk_create sends no post_save, so no link is appended."""
    [row] = LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                enterprise=enterprise,
                facility=facility,
                waste_code=f.waste_code(HW),
                stage=LedgerStage.GENERATED,
                quantity_t="7.5",
                occurred_at=timezone.now(),
                recorded_by=preparer,
            )
        ]
    )
    return row


def test_a_row_written_before_the_chain_is_linked_by_the_backfill_migration_and_then_verifies(
    entry, enterprise_x, x_store, preparer_x
):
    old = pre_chain_entry(enterprise_x, x_store, preparer_x)
    assert audit.verify() == [f"transfers.ledgerentry #{old.pk}: no audit link"]

    migration = importlib.import_module("wasteparks.migrations.0006_audit_backfill")
    migration.link_rows_written_before_the_chain(apps=None, schema_editor=None)

    assert AuditLink.objects.filter(table="transfers.ledgerentry", row_id=old.pk).count() == 1
    assert audit.verify() == []
    assert verify_output() == (0, "audit chain intact\n")
    assert verify_audit_chain() == 0


def test_the_backfill_links_nothing_twice_and_keeps_the_chain_in_order(entry, enterprise_x, x_store, preparer_x):
    olds = [pre_chain_entry(enterprise_x, x_store, preparer_x) for _ in range(3)]
    links_before = AuditLink.objects.count()
    assert audit.backfill(batch_size=2) == 3  # two batches
    assert audit.backfill() == 0
    assert AuditLink.objects.count() == links_before + 3
    appended = AuditLink.objects.order_by("sequence")[links_before:]
    assert [link.row_id for link in appended] == [old.pk for old in olds]
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="1")  # the chain goes on after them
    assert audit.verify() == []
