"""draft → submitted (locked) → accepted, or returned with a comment → corrected as the next revision.

Accepting a report queues the recompute of the park's month through the outbox, in the accepting
transaction."""

from unittest import mock

import pytest
from django.test import override_settings

from reporting.models import MonthlyReport, MonthlyReportEvent, MonthlyReportRevision, ReportStatus, UtilizationSnapshot
from reporting.services import reports as services
from reporting.services.utilization import recompute_period
from tests import factories as f
from tests.fixtures.reports import SW, D, at, clock, last_period, record
from transfers.models import LedgerStage
from wasteparks import outbox
from wasteparks.celery import app
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed
from wasteparks.models import OutboxMessage
from wasteparks.periods import Period

pytestmark = pytest.mark.django_db

RECOMPUTE = "reporting.tasks.utilization.refresh_park_period"


@pytest.fixture
def broker():
    """Celery not eager, the publish itself replaced: the outbox writes its rows as in production."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with mock.patch.object(app, "send_task") as send_task:
        yield send_task
    app.conf.task_always_eager = eager


def history(report) -> list[tuple]:
    return list(
        MonthlyReportEvent.objects.filter(report=report).values_list(
            "revision", "action", "from_status", "to_status", "actor__username"
        )
    )


def test_submit_then_accept_records_each_step_and_queues_the_recompute_with_the_acceptance(
    report_x, preparer_x, officer_a, broker, django_capture_on_commit_callbacks, enterprise_x
):
    services.submit_monthly_report(report=report_x, actor=preparer_x, comment="All in order")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.accept_monthly_report(report=report_x, officer=officer_a, comment="Checked against manifests")
        # Written inside the accepting transaction; the relay publishes it once it has committed.
        message = OutboxMessage.objects.get()
        assert not broker.called
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.ACCEPTED
    assert (report_x.submitted_by, report_x.reviewed_by) == (preparer_x, officer_a)
    assert report_x.review_comment == "Checked against manifests"
    assert history(report_x) == [
        (1, "create", "", "draft", "preparer_x"),
        (1, "submit", "draft", "submitted", "preparer_x"),
        (1, "accept", "submitted", "accepted", "officer_a"),
    ]
    revision = report_x.current_revision
    assert (revision.number, revision.outcome, revision.reviewed_by) == (1, "accepted", officer_a)
    assert (message.task, message.args) == (RECOMPUTE, [enterprise_x.park_id, report_x.year, report_x.month])
    assert callbacks == [] and not broker.called  # the request itself never publishes
    assert outbox.relay() == 1
    broker.assert_called_once()
    assert broker.call_args.args == (RECOMPUTE,)
    message.refresh_from_db()
    assert message.sent_at is not None


def test_a_refused_acceptance_queues_nothing(
    report_x, preparer_x, officer_b, broker, django_capture_on_commit_callbacks
):
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotPermitted):
        services.accept_monthly_report(report=report_x, officer=officer_b)
    assert not OutboxMessage.objects.exists()
    assert not broker.called


def _park_general(park_id: int, period: Period) -> UtilizationSnapshot:
    return UtilizationSnapshot.objects.for_period(period).get(
        subject_key=f"park:{park_id}", waste_class="general", category_code=""
    )


def test_accepting_brings_a_computed_month_of_the_park_up_to_date(
    report_x, preparer_x, officer_a, x_store, enterprise_x, django_capture_on_commit_callbacks
):
    period = report_x.period
    recompute_period(year=period.year, month=period.month)
    assert _park_general(enterprise_x.park_id, period).generated_t == D("100")
    # A late entry of the month, recorded after the figures were computed.
    record(actor=preparer_x, facility=x_store, code=SW, stage=LedgerStage.GENERATED, quantity="5", when=at(period, 13))
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_monthly_report(report=report_x, officer=officer_a)
    assert _park_general(enterprise_x.park_id, period).generated_t == D("105")


def test_accepting_leaves_a_month_never_computed_to_the_whole_recompute(
    report_x, preparer_x, officer_a, django_capture_on_commit_callbacks
):
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_monthly_report(report=report_x, officer=officer_a)
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.ACCEPTED
    assert not UtilizationSnapshot.objects.exists()


def test_return_keeps_the_submitted_revision_and_opens_the_next(report_x, preparer_x, officer_a):
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    services.return_monthly_report(report=report_x, officer=officer_a, comment="SW07 generation looks low")
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.RETURNED
    assert report_x.review_comment == "SW07 generation looks low"
    first, second = MonthlyReportRevision.objects.filter(report=report_x).order_by("number")
    assert report_x.current_revision == second
    assert (first.outcome, first.review_comment, first.submitted_by) == (
        "returned",
        "SW07 generation looks low",
        preparer_x,
    )
    assert second.submitted_at is None and second.outcome == ""
    assert first.lines.count() == second.lines.count() == 2

    services.adjust_report_lines(
        report=report_x,
        actor=preparer_x,
        lines=[
            services.LineAdjustment(
                waste_code=f.waste_code("SW07"),
                figures={"generated": D("120"), "closing_stock": D("120")},
                reason="Press filter output added",
            )
        ],
    )
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    services.accept_monthly_report(report=report_x, officer=officer_a)
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.ACCEPTED
    # The returned revision still holds what was first filed.
    assert first.lines.get(waste_code__code="SW07").generated_t == D("100")
    assert second.lines.get(waste_code__code="SW07").generated_t == D("120")
    assert history(report_x) == [
        (1, "create", "", "draft", "preparer_x"),
        (1, "submit", "draft", "submitted", "preparer_x"),
        (1, "return", "submitted", "returned", "officer_a"),
        (2, "adjust", "returned", "returned", "preparer_x"),
        (2, "submit", "returned", "submitted", "preparer_x"),
        (2, "accept", "submitted", "accepted", "officer_a"),
    ]


def test_returning_needs_a_comment(report_x, preparer_x, officer_a):
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    with pytest.raises(RuleViolation) as refused:
        services.return_monthly_report(report=report_x, officer=officer_a, comment="  ")
    assert refused.value.code == "comment_required"
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.SUBMITTED
    assert report_x.revisions.count() == 1


def test_a_submitted_report_is_locked(report_x, preparer_x):
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.adjust_report_lines(
            report=report_x,
            actor=preparer_x,
            lines=[services.LineAdjustment(waste_code=f.waste_code("SW07"), figures={"generated": D("1")}, reason="r")],
        )
    assert "can no longer be changed" in refused.value.message
    with pytest.raises(TransitionNotAllowed):
        services.refresh_prefill(report=report_x, actor=preparer_x)
    with pytest.raises(TransitionNotAllowed):
        services.submit_monthly_report(report=report_x, actor=preparer_x)
    assert report_x.current_revision.lines.get(waste_code__code="SW07").generated_t == D("100")


def test_an_accepted_report_cannot_be_reviewed_again(report_x, preparer_x, officer_a):
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    services.accept_monthly_report(report=report_x, officer=officer_a)
    with pytest.raises(TransitionNotAllowed):
        services.return_monthly_report(report=report_x, officer=officer_a, comment="second thoughts")
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.ACCEPTED


def test_a_draft_cannot_be_reviewed(report_x, officer_a):
    with pytest.raises(TransitionNotAllowed):
        services.accept_monthly_report(report=report_x, officer=officer_a)


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("officer_a", True), ("provincial", True), ("officer_b", False), ("preparer_x", False), ("admin_x", False)],
)
def test_only_an_officer_over_the_park_reviews(report_x, preparer_x, persona, allowed, request):
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    officer = request.getfixturevalue(persona)
    if allowed:
        services.accept_monthly_report(report=report_x, officer=officer)
        report_x.refresh_from_db()
        assert report_x.status == ReportStatus.ACCEPTED
    else:
        with pytest.raises(NotPermitted) as refused:
            services.accept_monthly_report(report=report_x, officer=officer)
        assert refused.value.message == "Only an officer of this enterprise's park may review its monthly reports."
        report_x.refresh_from_db()
        assert report_x.status == ReportStatus.SUBMITTED
        assert report_x.reviewed_by is None


def test_a_read_only_client_never_acts(report_x, preparer_x):
    from registry.models import ApiClient, ApiScope

    machine = f.UserFactory(username="province_platform", is_service_account=True)
    ApiClient.objects.create(
        name="platform",
        user=machine,
        scope=ApiScope.READ_ALL,
        token_prefix="p1",
        token_hash="x",
        expires_at="2099-01-01T00:00Z",
    )
    services.submit_monthly_report(report=report_x, actor=preparer_x)
    with pytest.raises(NotPermitted):
        services.accept_monthly_report(report=report_x, officer=machine)


# --- creating: which periods ----------------------------------------------------------------------


def test_a_report_for_the_current_or_a_future_month_is_refused(enterprise_x, preparer_x):
    current = Period.containing(last_period().end)
    for period in (current, current.next()):
        with pytest.raises(RuleViolation) as refused:
            services.create_monthly_report(
                actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
            )
        assert refused.value.code == "period_not_ended"
        assert f"The report for {period} can be filed once the month is over" in refused.value.message
    assert not MonthlyReport.objects.exists()


def test_an_impossible_month_is_refused(enterprise_x, preparer_x):
    with pytest.raises(RuleViolation) as refused:
        services.create_monthly_report(actor=preparer_x, enterprise=enterprise_x, year=2024, month=13)
    assert refused.value.code == "invalid_period"


def test_a_second_report_for_the_same_period_is_refused(report_x, preparer_x, enterprise_x):
    with pytest.raises(RuleViolation) as refused:
        services.create_monthly_report(
            actor=preparer_x, enterprise=enterprise_x, year=report_x.year, month=report_x.month
        )
    assert refused.value.code == "duplicate_report"
    assert "already has a report for" in refused.value.message
    assert MonthlyReport.objects.count() == 1


def test_someone_elses_enterprise_cannot_get_a_report(enterprise_x, preparer_y, officer_a):
    period = last_period()
    for actor in (preparer_y, officer_a):
        with pytest.raises(NotPermitted):
            services.create_monthly_report(actor=actor, enterprise=enterprise_x, year=period.year, month=period.month)
    assert not MonthlyReport.objects.exists()


# --- deadlines ------------------------------------------------------------------------------------


def test_a_report_filed_by_the_deadline_is_on_time(report_x, preparer_x):
    deadline = report_x.period.deadline(15)
    with clock(at(Period(deadline.year, deadline.month), 15, hour=23)):
        services.submit_monthly_report(report=report_x, actor=preparer_x)
    report_x.refresh_from_db()
    assert report_x.is_late is False


def test_a_report_filed_after_the_deadline_is_late_and_resubmission_does_not_change_that(
    report_x, preparer_x, officer_a
):
    deadline = report_x.period.deadline(15)
    following = Period(deadline.year, deadline.month)
    with clock(at(following, 16, hour=0)):
        services.submit_monthly_report(report=report_x, actor=preparer_x)
    report_x.refresh_from_db()
    assert report_x.is_late is True
    assert report_x.current_revision.is_late is True
    with clock(at(following, 20, hour=9)):
        services.return_monthly_report(report=report_x, officer=officer_a, comment="Fix SW07")
        services.submit_monthly_report(report=report_x, actor=preparer_x)
    report_x.refresh_from_db()
    assert report_x.is_late is True
    assert report_x.first_submitted_at < report_x.submitted_at


@override_settings(REPORT_DEADLINE_DAY=10)
def test_the_deadline_day_is_a_setting(report_x, preparer_x):
    deadline = report_x.period.deadline(10)
    with clock(at(Period(deadline.year, deadline.month), 12)):
        services.submit_monthly_report(report=report_x, actor=preparer_x)
    report_x.refresh_from_db()
    assert report_x.deadline == deadline and report_x.is_late is True


def test_period_boundaries_are_shanghai_calendar_months():
    from datetime import UTC, datetime

    period = Period(2025, 3)
    assert period.start == datetime(2025, 2, 28, 16, tzinfo=UTC)
    assert Period.containing(datetime(2025, 2, 28, 16, 30, tzinfo=UTC)) == period
    assert period.deadline(15).isoformat() == "2025-04-15"
    assert Period(2025, 12).deadline(15).isoformat() == "2026-01-15"
