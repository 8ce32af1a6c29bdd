"""Reminders: three days before the deadline and the day after a missed one, each mailed once."""

from datetime import timedelta

import pytest
from django.core import mail

from reporting.models import ReminderKind, ReportReminder
from reporting.rules.reports import reminder_due
from reporting.services import reports as services
from reporting.tasks.reports import send_report_reminders
from tests.fixtures.reports import last_period, registered_on
from wasteparks.periods import Period


@pytest.fixture
def everyone(enterprise_x, preparer_x, admin_x, viewer_x, carrier_c, driver_c, receiver_r, clerk_r, enterprise_y):
    # Registered before the months these tests remind about.
    registered_on(last_period().previous().start, enterprise_x, receiver_r, enterprise_y, carrier_c)
    return {"x": enterprise_x, "r": receiver_r, "y": enterprise_y, "c": carrier_c}


def deadline_of(period: Period):
    return period.deadline(15)


def test_the_reminder_windows():
    period = Period(2025, 3)
    assert reminder_due(deadline=deadline_of(period), today=Period(2025, 4).start.date() + timedelta(days=10)) is None
    assert reminder_due(deadline=deadline_of(period), today=deadline_of(period) - timedelta(days=3)) == "before"
    assert reminder_due(deadline=deadline_of(period), today=deadline_of(period)) == "before"
    assert reminder_due(deadline=deadline_of(period), today=deadline_of(period) + timedelta(days=1)) == "overdue"
    assert reminder_due(deadline=deadline_of(period), today=Period(2025, 5).start.date()) is None


@pytest.mark.django_db
def test_three_days_before_the_deadline_every_enterprise_still_due_is_mailed_once(everyone, enterprise_x):
    period = last_period()
    today = deadline_of(period) - timedelta(days=3)
    assert send_report_reminders.delay(today.isoformat()).get() == 3
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [f"Monthly waste report for {period} due on {deadline_of(period).isoformat()}"] * 3
    to_x = next(message for message in mail.outbox if enterprise_x.contact_email in message.to)
    assert sorted(to_x.to) == sorted([enterprise_x.contact_email, "preparer_x@example.cn", "admin_x@example.cn"])
    assert "Enterprise X (generator) has not yet submitted" in to_x.body
    # Carriers do not file; drivers and viewers are not mailed.
    assert not any(everyone["c"].contact_email in message.to for message in mail.outbox)
    assert not any("viewer_x@example.cn" in message.to for message in mail.outbox)

    # The same day again, and the next days of the window: nothing more.
    for day in (today, today + timedelta(days=1), today + timedelta(days=3)):
        assert send_report_reminders.delay(day.isoformat()).get() == 0
    assert len(mail.outbox) == 3
    assert ReportReminder.objects.filter(kind=ReminderKind.BEFORE_DEADLINE).count() == 3


@pytest.mark.django_db
def test_after_a_missed_deadline_only_those_still_missing_are_mailed_once(everyone, enterprise_x, preparer_x):
    period = last_period()
    report = services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
    )
    services.submit_monthly_report(report=report, actor=preparer_x)
    day_after = deadline_of(period) + timedelta(days=1)
    assert send_report_reminders.delay(day_after.isoformat()).get() == 2
    assert send_report_reminders.delay((day_after + timedelta(days=1)).isoformat()).get() == 0
    assert len(mail.outbox) == 2
    assert all(message.subject == f"Monthly waste report for {period} is overdue" for message in mail.outbox)
    assert not any(enterprise_x.contact_email in message.to for message in mail.outbox)
    assert set(ReportReminder.objects.values_list("enterprise", "kind")) == {
        (everyone["r"].pk, "overdue"),
        (everyone["y"].pk, "overdue"),
    }


@pytest.mark.django_db
def test_a_failed_mail_is_not_recorded_and_goes_out_on_the_next_run(everyone, monkeypatch):
    from smtplib import SMTPException

    period = last_period()
    today = deadline_of(period) - timedelta(days=2)

    def broken(*args, **kwargs):
        raise SMTPException("mail server down")

    monkeypatch.setattr("reporting.services.reports.send_mail", broken)
    with pytest.raises(SMTPException):
        services.send_due_reminders(today=today)
    assert not ReportReminder.objects.exists()
    monkeypatch.undo()
    assert services.send_due_reminders(today=today) == 3
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_outside_the_windows_nobody_is_mailed(everyone):
    period = last_period()
    assert services.send_due_reminders(today=deadline_of(period) - timedelta(days=4)) == 0
    assert mail.outbox == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_each_reminder_once_even_when_queued_twice(everyone):
    from celery.contrib.testing.worker import start_worker

    from wasteparks.celery import app

    period = last_period()
    today = (deadline_of(period) - timedelta(days=3)).isoformat()
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"):
            first, second = send_report_reminders.delay(today), send_report_reminders.delay(today)
            results = sorted([first.get(timeout=60), second.get(timeout=60)])
    finally:
        app.conf.task_always_eager = True
    assert sum(results) == 3
    assert len(mail.outbox) == 3
    assert ReportReminder.objects.count() == 3
