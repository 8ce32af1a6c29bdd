"""Tamper evidence: status logs, signatures, history and submitted reports cannot be changed or deleted.

The database refuses it (triggers in wasteparks/migrations/0002_tamper_evidence.py), so it holds for the
ORM, raw SQL and the admin alike; the admin offers no add, change or delete on them; and the application's
own workflows, which only ever append, still work.
"""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from registry.models import Enterprise
from reporting import warnings as warning_services
from reporting.models import (
    MonthlyReport,
    MonthlyReportEvent,
    MonthlyReportLine,
    MonthlyReportRevision,
    UtilizationSnapshot,
    Warning,
    WarningEvent,
)
from reporting.services import reports as report_services
from reporting.warnings import RULES_BY_CODE
from tests import factories as f
from tests.transfers.factories import generate
from transfers import services as transfer_services
from transfers.models import Manifest, ManifestEvent, ManifestLine, RevisionDecision

pytestmark = pytest.mark.django_db


def raw(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def refused(action) -> None:
    """`action` is refused by the database, and the refusal leaves the surrounding transaction usable."""
    with pytest.raises(IntegrityError, match="tamper evidence"), transaction.atomic():
        action()


# --- manifest signatures and revision decisions ---------------------------------------------------


def test_a_manifest_signature_cannot_be_changed_or_deleted(hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    event = ManifestEvent.objects.filter(manifest=hazardous_draft).first()
    events = ManifestEvent.objects.filter(pk=event.pk)

    refused(lambda: events.update(comment="signed under duress"))
    refused(lambda: events.delete())
    with pytest.raises(ValidationError):  # the model says so before the database has to
        event.comment = "edited"
        event.save()

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE transfers_manifestevent SET to_status = 'completed' WHERE id = %s", [event.pk])

    refused(raw_update)
    assert ManifestEvent.objects.get(pk=event.pk).comment == ""


def test_a_revision_decision_cannot_be_changed_or_deleted(hazardous_draft, advance, preparer_x, driver_c, clerk_r):
    manifest = advance(hazardous_draft, "in_transit")
    revision = transfer_services.propose_revision(
        manifest=manifest, actor=driver_c, changes={"manifest": {"vehicle_plate": "贵D77777"}}, reason="new truck"
    )
    transfer_services.decide_revision(revision=revision, actor=preparer_x, approve=True)
    transfer_services.decide_revision(revision=revision, actor=clerk_r, approve=False, comment="no")
    decisions = RevisionDecision.objects.filter(revision=revision)
    assert decisions.count() == 2

    refused(lambda: decisions.update(decision=RevisionDecision.APPROVE))
    refused(lambda: decisions.delete())
    decision = decisions.get(party="receiver")
    decision.comment = "yes"
    refused(decision.save)
    assert decisions.get(party="receiver").decision == RevisionDecision.REFUSE


# --- history (simple_history) ----------------------------------------------------------------------


def test_historical_rows_are_append_only(hazardous_draft, advance, enterprise_x):
    manifest = advance(hazardous_draft, "submitted")
    enterprise_x.name = "Renamed"
    enterprise_x.save()  # a change appends a historical row: allowed
    assert enterprise_x.history.count() >= 2

    refused(lambda: Enterprise.history.filter(id=enterprise_x.pk).update(name="Someone else"))
    refused(lambda: Enterprise.history.filter(id=enterprise_x.pk).delete())
    refused(lambda: Manifest.history.filter(id=manifest.pk).update(status="completed"))
    refused(lambda: Manifest.history.filter(id=manifest.pk).delete())
    refused(lambda: ManifestLine.history.filter(manifest_id=manifest.pk).update(declared_quantity_t=1))
    latest = manifest.history.first()
    latest.history_change_reason = "rewritten"
    refused(latest.save)


# --- monthly reports ---------------------------------------------------------------------------------


def test_a_submitted_report_revision_and_its_lines_are_frozen_but_can_be_reviewed_once(report_x, preparer_x, officer_a):
    report_services.submit_monthly_report(report=report_x, actor=preparer_x)
    revision = MonthlyReportRevision.objects.get(report=report_x)
    frozen = MonthlyReportRevision.objects.filter(pk=revision.pk)
    lines = MonthlyReportLine.objects.filter(revision=revision)
    first_line = lines.first()

    refused(lambda: frozen.update(submitted_at=None))
    refused(lambda: frozen.update(is_late=not revision.is_late))
    refused(lambda: raw(f"DELETE FROM reporting_monthlyreportrevision WHERE id = {revision.pk}"))
    refused(lambda: lines.update(generated_t=0))
    refused(lambda: lines.filter(pk=first_line.pk).delete())
    refused(
        lambda: MonthlyReportLine.objects.create(
            revision=revision,
            waste_code=f.waste_code("900-041-49"),
        )
    )

    # The review is the one change the application makes to a submitted revision; it is written once.
    report_services.accept_monthly_report(report=report_x, officer=officer_a, comment="fine")
    revision.refresh_from_db()
    assert revision.outcome == "accepted"
    refused(lambda: frozen.update(outcome="returned"))
    refused(lambda: frozen.update(review_comment="not fine"))


def test_a_returned_report_opens_a_new_revision_that_stays_editable(report_x, preparer_x, officer_a):
    report_services.submit_monthly_report(report=report_x, actor=preparer_x)
    report_services.return_monthly_report(report=report_x, officer=officer_a, comment="check SW07")
    report_x.refresh_from_db()
    draft_lines = MonthlyReportLine.objects.filter(revision=report_x.current_revision)
    assert draft_lines.update(adjustment_reason="") == draft_lines.count() > 0  # a draft may change


def test_the_report_status_log_cannot_be_changed_or_deleted(report_x, preparer_x):
    report_services.submit_monthly_report(report=report_x, actor=preparer_x)
    events = MonthlyReportEvent.objects.filter(report=report_x)
    assert events.count() == 2
    refused(lambda: events.update(comment="backdated"))
    refused(lambda: events.delete())


# --- warnings ----------------------------------------------------------------------------------------


def test_the_warning_log_cannot_be_changed_or_deleted(preparer_x, x_store, officer_a):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="460")
    warning_services.run_rules(rules=(RULES_BY_CODE["STORAGE_OVER_CAPACITY"],))
    warning = Warning.objects.get()
    warning_services.acknowledge_warning(warning=warning, actor=officer_a, note="on it")  # appends: allowed
    events = WarningEvent.objects.filter(warning=warning)
    assert list(events.values_list("action", flat=True)) == ["raised", "acknowledge"]

    refused(lambda: events.update(note="nothing to see"))
    refused(lambda: events.delete())
    refused(lambda: warning.delete())  # deleting the warning would delete its log
    event = events.last()
    event.note = "edited"
    refused(event.save)


# --- the admin -----------------------------------------------------------------------------------------

READ_ONLY = [
    ManifestEvent,
    RevisionDecision,
    Manifest,
    MonthlyReport,
    MonthlyReportRevision,
    MonthlyReportEvent,
    Warning,
    WarningEvent,
    UtilizationSnapshot,
]


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda model: model.__name__)
def test_the_admin_offers_no_add_change_or_delete(model, superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry.get(model)
    if model_admin is None:  # shown only inline on its parent's page
        assert model in {RevisionDecision}
        return
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    for inline in model_admin.get_inline_instances(request):
        assert not inline.has_add_permission(request, None)
        assert not inline.has_change_permission(request) and not inline.has_delete_permission(request)


def test_the_admin_shows_a_signature_and_a_report_without_a_save_button(
    client, superuser, hazardous_draft, advance, report_x, preparer_x
):
    advance(hazardous_draft, "submitted")
    report_services.submit_monthly_report(report=report_x, actor=preparer_x)
    client.force_login(superuser)
    event = ManifestEvent.objects.first()
    for url in (
        reverse("admin:transfers_manifestevent_change", args=[event.pk]),
        reverse("admin:reporting_monthlyreport_change", args=[report_x.pk]),
        reverse("admin:reporting_monthlyreportrevision_change", args=[report_x.current_revision_id]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert b'name="_save"' not in page.content, url
        assert client.post(url, {}).status_code == 403, url
    assert client.get(reverse("admin:reporting_monthlyreportevent_add")).status_code == 403
    assert client.get(reverse("admin:transfers_manifestevent_delete", args=[event.pk])).status_code == 403


def test_the_database_refuses_changes_whatever_the_caller(hazardous_draft, advance):
    """Not only the ORM: the refusal is in the database (DatabaseError is what any client gets)."""
    advance(hazardous_draft, "submitted")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM transfers_manifestevent")
