"""Ledger entries are append-only in the database, and the audit hash chain makes a change made anyway
evident: `verify_audit` names exactly the row that differs."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from reporting.services import reports as report_services
from reporting.tasks.audit import verify_audit_chain
from tests.transfers.factories import generate
from transfers.services.ledger import reverse_ledger_entry
from wasteparks import audit
from wasteparks.models import AuditLink

pytestmark = pytest.mark.django_db

HW = "900-249-08"
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger test needs PostgreSQL")


def raw(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(table: str, sql: str, params=None) -> None:
    """What someone with the table owner's rights could do: switch the trigger off and change rows."""
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # deferred foreign key checks would block ALTER TABLE
    raw(f"ALTER TABLE {table} DISABLE TRIGGER wasteparks_append_only")
    raw(sql, params)
    raw(f"ALTER TABLE {table} ENABLE TRIGGER wasteparks_append_only")


def verify_output() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def entry(preparer_x, x_store):
    return generate(actor=preparer_x, facility=x_store, code=HW, quantity="12")


@postgres_only
def test_a_raw_update_or_delete_of_a_ledger_entry_is_refused(entry):
    for sql in ("UPDATE transfers_ledgerentry SET quantity_t = 1 WHERE id = %s",
                "DELETE FROM transfers_ledgerentry WHERE id = %s"):  # fmt: skip
        with pytest.raises(IntegrityError, match="tamper evidence"), transaction.atomic():
            raw(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.quantity_t == 12


@postgres_only
def test_the_chain_itself_cannot_be_rewritten(entry):
    with pytest.raises(IntegrityError, match="tamper evidence"), transaction.atomic():
        raw("UPDATE wasteparks_auditlink SET row_digest = 'x'")


def test_the_chain_verifies_clean_after_normal_activity(
    entry, preparer_x, hazardous_draft, advance, scripted_month, enterprise_x, officer_a
):
    advance(hazardous_draft, "completed")
    reverse_ledger_entry(entry=entry, actor=preparer_x, reason="wrong")
    period = scripted_month["period"]
    report = report_services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
    )
    report_services.submit_monthly_report(report=report, actor=preparer_x)
    tables = set(AuditLink.objects.values_list("table", flat=True))
    assert tables == {
        "transfers.ledgerentry",
        "transfers.manifestevent",
        "reporting.monthlyreportrevision",
        "reporting.monthlyreportevent",
    }
    assert audit.verify() == []
    assert verify_output() == (0, "audit chain intact\n")
    assert verify_audit_chain() == 0


@postgres_only
def test_a_tampered_ledger_entry_is_reported_as_exactly_that_row(entry, preparer_x, x_store, caplog):
    other = generate(actor=preparer_x, facility=x_store, code=HW, quantity="3")
    tamper("transfers_ledgerentry", "UPDATE transfers_ledgerentry SET quantity_t = 1.2 WHERE id = %s", [entry.pk])

    link = AuditLink.objects.filter(table="transfers.ledgerentry", row_id=entry.pk).get()
    problems = audit.verify()
    assert problems == [f"transfers.ledgerentry #{entry.pk}: differs from audit link #{link.sequence}"]
    assert other.pk != entry.pk  # the untouched entry next to it is not reported
    code, output = verify_output()
    assert code == 1 and output.splitlines() == problems
    with caplog.at_level("ERROR"):
        assert verify_audit_chain() == 1
    assert f"transfers.ledgerentry #{entry.pk}" in caplog.text


@postgres_only
def test_a_deleted_ledger_entry_is_reported_as_missing(entry):
    tamper("transfers_ledgerentry", "DELETE FROM transfers_ledgerentry WHERE id = %s", [entry.pk])
    link = AuditLink.objects.get(table="transfers.ledgerentry", row_id=entry.pk)
    assert audit.verify() == [f"transfers.ledgerentry #{entry.pk}: missing (audit link #{link.sequence})"]


@postgres_only
def test_a_removed_link_breaks_the_chain(entry, preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="3")
    first = AuditLink.objects.order_by("sequence").first()
    tamper("wasteparks_auditlink", "DELETE FROM wasteparks_auditlink WHERE id = %s", [first.pk])
    problems = audit.verify()
    assert f"audit link #{first.sequence}–#{first.sequence}: missing" in problems
    assert f"{first.table} #{first.row_id}: no audit link" in problems
