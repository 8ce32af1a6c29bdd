"""An officer sees the accounts of the staff of its park's enterprises and can disable them; provincial
officers read the login audit of their province."""

import pytest
from django.test import Client
from django.urls import reverse

from registry import accounts
from registry.models import Division
from registry.signin import record_login_event
from tests import factories as f
from wasteparks.models import LoginEvent, LoginStep

pytestmark = pytest.mark.django_db


def test_officer_lists_the_staff_of_its_parks_enterprises_only(
    client, officer_a, preparer_x, preparer_y, driver_c, django_assert_max_num_queries
):
    client.force_login(officer_a)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("registry:account_list"))
    people = {person.username for person in response.context["page"]}
    assert people == {"preparer_x", "driver_c"}


def test_the_list_runs_the_same_queries_for_many_accounts(client, officer_a, enterprise_x, django_assert_num_queries):
    client.force_login(officer_a)
    f.member(f.UserFactory(), enterprise_x)
    client.get(reverse("registry:account_list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("registry:account_list"))
    for _ in range(15):
        f.member(f.UserFactory(), enterprise_x)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("registry:account_list"))
    assert len(many) == len(few)


def test_officer_disables_an_account_which_then_cannot_sign_in(client, officer_a, preparer_x):
    preparer_x.set_password("Prep-Secret-2026")
    preparer_x.save()
    client.force_login(officer_a)
    response = client.post(reverse("registry:account_disable", args=[preparer_x.pk]), {"reason": "离职"})
    assert response.status_code == 302
    preparer_x.refresh_from_db()
    assert not preparer_x.is_active and preparer_x.disabled_by == officer_a and preparer_x.disabled_reason == "离职"

    refused = Client().post(reverse("login"), {"username": "preparer_x", "password": "Prep-Secret-2026"})
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session

    client.post(reverse("registry:account_enable", args=[preparer_x.pk]))
    preparer_x.refresh_from_db()
    assert preparer_x.is_active and preparer_x.disabled_at is None


def test_a_disabled_accounts_open_session_ends(client, officer_a, preparer_x):
    client.force_login(preparer_x)
    assert client.get(reverse("transfers:manifest_list")).status_code == 200
    accounts.disable_account(account=preparer_x, officer=officer_a, reason="离职")
    assert client.get(reverse("transfers:manifest_list")).status_code == 302


def test_disabling_needs_a_reason_and_writes_nothing_without_one(client, officer_a, preparer_x):
    client.force_login(officer_a)
    client.post(reverse("registry:account_disable", args=[preparer_x.pk]), {"reason": "  "})
    preparer_x.refresh_from_db()
    assert preparer_x.is_active


def test_another_parks_officer_gets_404_and_changes_nothing(client, officer_b, preparer_x):
    client.force_login(officer_b)
    response = client.post(reverse("registry:account_disable", args=[preparer_x.pk]), {"reason": "x"})
    assert response.status_code == 404
    preparer_x.refresh_from_db()
    assert preparer_x.is_active


def test_staff_cannot_reach_the_accounts_page_and_officers_accounts_are_not_disabled_here(
    client, preparer_x, officer_a, park_a
):
    client.force_login(preparer_x)
    assert client.get(reverse("registry:account_list")).status_code == 403
    assert client.post(reverse("registry:account_disable", args=[officer_a.pk]), {"reason": "x"}).status_code == 403

    colleague = f.park_officer(f.UserFactory(username="officer_a2"), park_a)
    client.force_login(officer_a)
    client.post(reverse("registry:account_disable", args=[colleague.pk]), {"reason": "x"})
    colleague.refresh_from_db()
    assert colleague.is_active


def test_provincial_officer_reads_the_login_audit_of_the_province(
    client, provincial, preparer_x, preparer_y, officer_a
):
    record_login_event(request=None, step=LoginStep.PASSWORD, succeeded=False, user=preparer_x)
    record_login_event(request=None, step=LoginStep.PASSWORD, succeeded=False, username="nobody")
    sichuan = Division.objects.create(code="5101", name_zh="成都市", name_en="Chengdu", province_code="51")
    outsider = f.member(f.UserFactory(username="elsewhere"), f.EnterpriseFactory(park=f.ParkFactory(division=sichuan)))
    record_login_event(request=None, step=LoginStep.PASSWORD, succeeded=True, user=outsider)
    client.force_login(provincial)
    response = client.get(reverse("registry:login_audit"))
    assert response.status_code == 200
    names = [event.username for event in response.context["page"]]
    assert "preparer_x" in names and "provincial" in names
    assert "nobody" not in names and "elsewhere" not in names
    failed = client.get(reverse("registry:login_audit"), {"outcome": "failed"}).context["page"]
    assert [event.username for event in failed] == ["preparer_x"]


def test_park_officers_and_staff_do_not_read_the_login_audit(client, officer_a, preparer_x):
    for user in (officer_a, preparer_x):
        client.force_login(user)
        assert client.get(reverse("registry:login_audit")).status_code == 403


def test_failed_and_successful_sign_ins_are_audited_with_their_address(client, preparer_x):
    preparer_x.set_password("Prep-Secret-2026")
    preparer_x.save()
    client.post(reverse("login"), {"username": "preparer_x", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "ghost", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "preparer_x", "password": "Prep-Secret-2026"}, REMOTE_ADDR="10.1.2.4")
    client.post(reverse("logout"))
    events = list(LoginEvent.objects.order_by("at", "id").values_list("username", "step", "succeeded", "ip_address"))
    assert events == [
        ("preparer_x", LoginStep.PASSWORD, False, "10.1.2.3"),
        ("ghost", LoginStep.PASSWORD, False, "10.1.2.3"),
        ("preparer_x", LoginStep.PASSWORD, True, "10.1.2.4"),
        ("preparer_x", LoginStep.LOGOUT, True, "127.0.0.1"),
    ]
    assert LoginEvent.objects.get(username="ghost").user_id is None


def test_the_login_audit_cannot_be_changed(preparer_x):
    from django.db import DatabaseError, transaction

    event = record_login_event(request=None, step=LoginStep.PASSWORD, succeeded=False, user=preparer_x)
    with pytest.raises(DatabaseError), transaction.atomic():
        LoginEvent.objects.filter(pk=event.pk).update(succeeded=True)


def test_the_login_audit_page_runs_the_same_queries_for_many_events(client, provincial, preparer_x):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(provincial)
    record_login_event(request=None, step=LoginStep.PASSWORD, succeeded=False, user=preparer_x)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("registry:login_audit"))
    for _ in range(30):
        record_login_event(request=None, step=LoginStep.PASSWORD, succeeded=False, user=preparer_x)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("registry:login_audit"))
    assert len(response.context["page"]) > 1
    assert len(many) == len(few)
