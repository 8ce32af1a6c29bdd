"""The in-app inbox: what each user is told (critical warnings, discrepancies on their manifests, returned
reports, approaching deadlines), in the transaction of the event; the unread badge; mark read and mark
all read; links to the object; mail as a channel each user can switch off per kind. Nobody sees or marks
anyone else's notifications."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from reporting import warnings as warning_services
from reporting.models import Warning
from reporting.services import reports as report_services
from reporting.warnings import RULES_BY_CODE
from tests.fixtures.reports import last_period, registered_on
from tests.transfers.factories import generate, receipt
from transfers import services as transfer_services
from wasteparks import inbox
from wasteparks.models import MailPreference, Notification, NotificationKind

pytestmark = pytest.mark.django_db

CAPACITY = (RULES_BY_CODE["STORAGE_OVER_CAPACITY"],)


def tell(user, title="Something happened", *, link="/", kind=NotificationKind.JOB_FINISHED, **kwargs):
    return inbox.notify(user_ids=[user.pk], kind=kind, title=lambda: title, link=link, **kwargs)


# --- the one function every feature calls ------------------------------------------------------------


def test_a_notification_is_written_in_the_events_transaction_and_gone_with_its_rollback(officer_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        tell(officer_a)
        raise RuntimeError("the event failed")
    assert not Notification.objects.exists()
    tell(officer_a)
    assert Notification.objects.filter(user=officer_a).count() == 1


def test_the_same_key_tells_a_user_once(officer_a, officer_b):
    tell(officer_a, dedup_key="warning:1:critical")
    tell(officer_a, dedup_key="warning:1:critical")
    tell(officer_b, dedup_key="warning:1:critical")
    assert Notification.objects.filter(user=officer_a).count() == 1
    assert Notification.objects.filter(user=officer_b).count() == 1


def test_the_title_is_stored_in_chinese_and_english(officer_a):
    from django.utils.translation import gettext as _

    (notification,) = inbox.notify(
        user_ids=[officer_a.pk], kind=NotificationKind.JOB_FINISHED, title=lambda: _("Log out"), link="/"
    )
    assert (notification.title_en, notification.title_zh) == ("Log out", "退出")


def test_a_disabled_account_is_told_nothing(officer_a):
    officer_a.is_active = False
    officer_a.save()
    assert tell(officer_a) == []


def test_a_notification_is_mailed_unless_the_kind_is_switched_off(officer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tell(officer_a, "Export ready")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [officer_a.email]
    assert "Export ready" in mail.outbox[0].subject

    inbox.set_mail_preferences(user=officer_a, by_mail={NotificationKind.JOB_FINISHED: False})
    with django_capture_on_commit_callbacks(execute=True):
        tell(officer_a, "Another export ready")
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(user=officer_a).count() == 2  # the inbox still has it


# --- the events ---------------------------------------------------------------------------------------


def test_a_critical_warning_reaches_the_inboxes_of_the_parks_officers_and_the_enterprises_filers(
    preparer_x, viewer_x, x_store, officer_a, officer_b, django_capture_on_commit_callbacks
):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="501")  # over capacity: critical
    with django_capture_on_commit_callbacks(execute=True):
        warning_services.run_rules(rules=CAPACITY)
        warning_services.run_rules(rules=CAPACITY)  # a rerun tells nobody twice
    told = Notification.objects.filter(kind=NotificationKind.CRITICAL_WARNING)
    assert sorted(told.values_list("user__username", flat=True)) == ["officer_a", "preparer_x"]
    warning = Warning.objects.get()
    assert told.first().link == reverse("reporting:warning_detail", args=[warning.pk])
    assert told.first().title_en.startswith("Critical warning: ")


def test_an_officer_who_switched_critical_mail_off_finds_it_in_the_inbox_only(
    preparer_x, x_store, officer_a, enterprise_x, django_capture_on_commit_callbacks
):
    inbox.set_mail_preferences(user=officer_a, by_mail={NotificationKind.CRITICAL_WARNING: False})
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="501")
    with django_capture_on_commit_callbacks(execute=True):
        warning_services.run_rules(rules=CAPACITY)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([preparer_x.email, enterprise_x.contact_email])
    assert Notification.objects.filter(user=officer_a, kind=NotificationKind.CRITICAL_WARNING).exists()


def test_a_discrepancy_at_receipt_reaches_the_consignors_filers_not_the_receivers(
    hazardous_draft, advance, clerk_r, r_store, preparer_x, admin_x, django_capture_on_commit_callbacks
):
    manifest = advance(hazardous_draft, "in_transit")
    with django_capture_on_commit_callbacks(execute=True):
        transfer_services.receive_manifest(
            manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store, line1={"received": Decimal("9")})
        )
    told = Notification.objects.filter(kind=NotificationKind.DISCREPANCY)
    assert sorted(told.values_list("user__username", flat=True)) == ["admin_x", "preparer_x"]
    assert told.first().link == reverse("transfers:manifest_detail", args=[manifest.pk])
    assert manifest.number in told.first().title_en


def test_a_consignor_who_switched_discrepancy_mail_off_gets_no_mail(
    hazardous_draft, advance, clerk_r, r_store, preparer_x, enterprise_x, django_capture_on_commit_callbacks
):
    inbox.set_mail_preferences(user=preparer_x, by_mail={NotificationKind.DISCREPANCY: False})
    manifest = advance(hazardous_draft, "in_transit")
    with django_capture_on_commit_callbacks(execute=True):
        transfer_services.receive_manifest(
            manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store, line1={"received": Decimal("9")})
        )
    assert [m.to for m in mail.outbox] == [[enterprise_x.contact_email]]
    assert Notification.objects.filter(user=preparer_x, kind=NotificationKind.DISCREPANCY).exists()


def test_a_returned_report_reaches_the_enterprises_filers(
    report_x, preparer_x, officer_a, django_capture_on_commit_callbacks
):
    report_services.submit_monthly_report(report=report_x, actor=preparer_x)
    with django_capture_on_commit_callbacks(execute=True):
        report_services.return_monthly_report(report=report_x, officer=officer_a, comment="SW07 looks low")
    (notification,) = Notification.objects.filter(kind=NotificationKind.REPORT_RETURNED)
    assert notification.user == preparer_x
    assert "SW07 looks low" in notification.title_en
    assert notification.link == reverse("reporting:report_detail", args=[report_x.pk])
    assert [m.to for m in mail.outbox] == [[preparer_x.email]]


def test_an_approaching_deadline_reaches_the_filers_once(enterprise_x, preparer_x, viewer_x):
    period = last_period()
    registered_on(period.previous().start, enterprise_x)
    three_days_before = period.deadline(15) - timedelta(days=3)
    report_services.send_due_reminders(today=three_days_before)
    report_services.send_due_reminders(today=three_days_before + timedelta(days=1))
    (notification,) = Notification.objects.filter(kind=NotificationKind.DEADLINE)
    assert notification.user == preparer_x  # a viewer does not file
    assert notification.title_en == f"Monthly waste report for {period} due on {period.deadline(15).isoformat()}"
    assert notification.link == reverse("reporting:report_list")


def test_a_filer_who_switched_deadline_mail_off_is_not_mailed(enterprise_x, preparer_x):
    inbox.set_mail_preferences(user=preparer_x, by_mail={NotificationKind.DEADLINE: False})
    period = last_period()
    registered_on(period.previous().start, enterprise_x)
    report_services.send_due_reminders(today=period.deadline(15) - timedelta(days=3))
    assert [m.to for m in mail.outbox] == [[enterprise_x.contact_email]]
    assert Notification.objects.filter(kind=NotificationKind.DEADLINE, user=preparer_x).exists()


def test_an_invitation_reaches_the_inbox_of_someone_who_has_an_account_without_its_secret(
    admin_x, enterprise_x, preparer_y
):
    from registry import accounts
    from registry.models import EnterpriseRole

    accounts.invite_member(
        enterprise=enterprise_x,
        actor=admin_x,
        email=preparer_y.email,
        role=EnterpriseRole.DRIVER,
        days=7,
        site_url="http://testserver",
    )
    (notification,) = Notification.objects.filter(kind=NotificationKind.INVITATION)
    assert notification.user == preparer_y
    assert enterprise_x.name in notification.title_en and "Driver" in notification.title_en
    assert notification.link == ""  # the token travels only in the mail


# --- the pages ----------------------------------------------------------------------------------------


def test_the_inbox_lists_only_the_users_own_notifications(client, officer_a, officer_b):
    tell(officer_a, "For officer A")
    tell(officer_b, "For officer B")
    client.force_login(officer_a)
    html = client.get(reverse("inbox:list")).content.decode()
    assert "For officer A" in html and "For officer B" not in html


def test_the_badge_counts_the_unread_and_pages_run_no_query_for_it(client, officer_a, django_assert_num_queries):
    client.force_login(officer_a)
    for index in range(3):
        tell(officer_a, f"n{index}")
    badge = client.get(reverse("inbox:badge"))
    assert badge.status_code == 200 and b'data-unread="3"' in badge.content
    page = client.get(reverse("inbox:preferences")).content.decode()
    # The header holds a placeholder that htmx fills in after the page loaded.
    assert 'data-testid="inbox-badge"' in page and 'hx-trigger="load, every 60s"' in page


def test_the_inbox_list_runs_a_constant_number_of_queries(client, officer_a, django_assert_max_num_queries):
    client.force_login(officer_a)
    for index in range(30):
        tell(officer_a, f"n{index}")
    client.get(reverse("inbox:list"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("inbox:list")).status_code == 200


def test_opening_a_notification_marks_it_read_and_goes_to_its_object(client, officer_a):
    (notification,) = tell(officer_a, link="/reporting/warnings/1/")
    client.force_login(officer_a)
    response = client.post(reverse("inbox:open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/reporting/warnings/1/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert b'data-unread="0"' in client.get(reverse("inbox:badge")).content


def test_mark_as_read_stays_in_the_inbox(client, officer_a):
    (notification,) = tell(officer_a, link="/reporting/warnings/1/")
    client.force_login(officer_a)
    response = client.post(reverse("inbox:open", args=[notification.pk]), {"stay": "1"})
    assert response["Location"] == reverse("inbox:list")


def test_a_link_off_site_is_never_followed(client, officer_a):
    (notification,) = tell(officer_a, link="https://evil.example/")
    client.force_login(officer_a)
    assert client.post(reverse("inbox:open", args=[notification.pk]))["Location"] == reverse("inbox:list")


def test_mark_all_read_marks_only_the_users_own(client, officer_a, officer_b):
    tell(officer_a)
    tell(officer_a)
    tell(officer_b)
    client.force_login(officer_a)
    assert client.post(reverse("inbox:read_all")).status_code == 302
    assert not Notification.objects.of_user(officer_a).unread().exists()
    assert Notification.objects.of_user(officer_b).unread().count() == 1


def test_another_users_notification_is_a_404_and_stays_unread(client, officer_a, officer_b):
    (notification,) = tell(officer_a)
    client.force_login(officer_b)
    assert client.post(reverse("inbox:open", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_read_needs_a_post(client, officer_a):
    (notification,) = tell(officer_a)
    client.force_login(officer_a)
    assert client.get(reverse("inbox:open", args=[notification.pk])).status_code == 405
    assert client.get(reverse("inbox:read_all")).status_code == 405


def test_the_preferences_page_switches_a_kind_of_mail_off_and_on(client, preparer_x):
    client.force_login(preparer_x)
    form = client.get(reverse("inbox:preferences"))
    assert form.status_code == 200
    assert form.context["form"].initial[NotificationKind.DISCREPANCY] is True
    everything_but_discrepancies = {kind: "on" for kind in NotificationKind.values if kind != "discrepancy"}
    assert client.post(reverse("inbox:preferences"), everything_but_discrepancies).status_code == 302
    assert inbox.mail_wanted(user_ids=[preparer_x.pk], kind=NotificationKind.DISCREPANCY) == set()
    assert inbox.mail_wanted(user_ids=[preparer_x.pk], kind=NotificationKind.DEADLINE) == {preparer_x.pk}
    client.post(reverse("inbox:preferences"), dict.fromkeys(NotificationKind.values, "on"))
    assert MailPreference.objects.filter(user=preparer_x, by_mail=False).count() == 0


def test_an_unknown_kind_writes_no_preference(preparer_x):
    with pytest.raises(ValueError):
        inbox.set_mail_preferences(user=preparer_x, by_mail={"nonsense": False})
    assert not MailPreference.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client):
    for name in ("inbox:list", "inbox:badge", "inbox:preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
