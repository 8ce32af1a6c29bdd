"""Warning pages: the list (filters, sorting, export), the detail with its evidence and links, and the
officers' actions; who may see and who may act."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reporting.models import Warning, WarningStatus
from tests import factories as f
from tests.reporting.views_seed import many_warnings, overdue_manifest

LIST = reverse("reporting:warning_list")


def detail(warning):
    return reverse("reporting:warning_detail", args=[warning.pk])


def action(warning, name):
    return reverse("reporting:warning_action", args=[warning.pk, name])


@pytest.fixture
def overdue(hazardous_draft, advance):
    manifest = overdue_manifest(hazardous_draft, advance)
    return Warning.objects.get(rule="MANIFEST_OVERDUE", manifest=manifest)


@pytest.fixture
def warning_b(park_b, enterprise_y):
    [warning] = many_warnings(park=park_b, enterprise=enterprise_y, count=1, message="Park B")
    return warning


# --- list -----------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client, overdue):
    for url in (LIST, detail(overdue)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_officer_lists_the_warnings_of_the_park_only(client, officer_a, overdue, warning_b):
    client.force_login(officer_a)
    response = client.get(LIST)
    assert response.status_code == 200
    assert list(response.context["page"]) == [overdue]


def test_the_list_filters_by_rule_severity_status_enterprise_and_dates(
    client, officer_a, park_a, enterprise_x, overdue
):
    many_warnings(park=park_a, enterprise=enterprise_x, count=3)
    client.force_login(officer_a)

    def pks(**params):
        return {w.pk for w in client.get(LIST, params).context["page"]}

    assert pks(rule="MANIFEST_OVERDUE") == {overdue.pk}
    assert len(pks(severity="critical")) == 1 + (overdue.severity == "critical")
    assert len(pks(status="live")) == 4
    assert pks(status="resolved") == set()
    assert len(pks(enterprise=enterprise_x.pk)) == 4
    assert len(pks(raised_from="2000-01-01", raised_to="2999-12-31")) == 4
    assert pks(raised_to="2000-01-01") == set()


def test_the_list_sorts_by_severity(client, officer_a, park_a, enterprise_x):
    many_warnings(park=park_a, enterprise=enterprise_x, count=3)
    client.force_login(officer_a)
    severities = [w.severity for w in client.get(LIST, {"sort": "-severity"}).context["page"]]
    assert severities == ["critical", "warning", "info"]


def test_enterprise_users_see_their_own_warnings_read_only(client, preparer_x, overdue, warning_b):
    client.force_login(preparer_x)
    assert list(client.get(LIST).context["page"]) == [overdue]
    response = client.get(detail(overdue))
    assert response.status_code == 200
    assert response.context["can_act"] is False
    assert b'data-testid="resolve"' not in response.content
    assert client.get(detail(warning_b)).status_code == 404


def test_the_export_defuses_formulas(client, officer_a, park_a, enterprise_x):
    many_warnings(park=park_a, enterprise=enterprise_x, count=1, message='=HYPERLINK("http://x")')
    client.force_login(officer_a)
    response = client.get(LIST, {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][6].startswith("'=HYPERLINK")
    response = client.get(LIST, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=7)
    assert cell.data_type == "s" and cell.value.startswith("'=HYPERLINK")


@pytest.mark.parametrize("export", ["", "csv"])
def test_the_list_costs_the_same_for_5_and_50_warnings(
    client, django_assert_max_num_queries, officer_a, park_a, enterprise_x, export
):
    client.force_login(officer_a)
    params = {"export": export} if export else {}
    many_warnings(park=park_a, enterprise=enterprise_x, count=5)
    with django_assert_max_num_queries(12) as small:
        client.get(LIST, params)
    Warning.objects.all().delete()
    many_warnings(park=park_a, enterprise=enterprise_x, count=50)
    with django_assert_max_num_queries(12) as large:
        client.get(LIST, params)
    assert len(small) == len(large)


# --- detail ---------------------------------------------------------------------------------------


def test_the_detail_shows_the_message_evidence_links_and_history(client, officer_a, overdue):
    client.force_login(officer_a)
    response = client.get(detail(overdue))
    assert response.status_code == 200
    html = response.content.decode()
    assert overdue.message_en in html
    assert reverse("transfers:manifest_detail", args=[overdue.manifest_id]) in html
    assert reverse("reporting:enterprise_detail", args=[overdue.enterprise_id]) in html
    assert 'data-testid="evidence"' in html
    assert [event.action for event in response.context["events"]] == ["raised"]
    assert response.context["can_act"] is True


def test_the_detail_speaks_chinese_when_chinese_is_active(client, officer_a, overdue):
    client.force_login(officer_a)
    response = client.get(
        detail(overdue), HTTP_ACCEPT_LANGUAGE="zh-hans", headers={"Cookie": "django_language=zh-hans"}
    )
    client.cookies["django_language"] = "zh-hans"
    response = client.get(detail(overdue))
    assert overdue.message_zh in response.content.decode()


def test_an_officer_of_another_park_gets_404(client, officer_b, overdue):
    client.force_login(officer_b)
    assert client.get(detail(overdue)).status_code == 404
    assert client.post(action(overdue, "resolve"), {"resolve-note": "x"}).status_code == 404


# --- actions --------------------------------------------------------------------------------------


def test_an_officer_acknowledges_the_warning(client, officer_a, overdue):
    client.force_login(officer_a)
    response = client.post(action(overdue, "acknowledge"), {"acknowledge-note": "Calling the carrier"})
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.status == WarningStatus.ACKNOWLEDGED and overdue.assignee == officer_a


def test_an_officer_assigns_the_warning_to_a_colleague(client, officer_a, park_a, overdue):
    colleague = f.park_officer(f.UserFactory(username="colleague"), park_a)
    client.force_login(officer_a)
    response = client.post(action(overdue, "assign"), {"assign-assignee": colleague.pk})
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.assignee == colleague
    assert overdue.events.filter(action="assign", actor=officer_a).exists()


def test_the_assignee_must_be_an_officer_of_the_park(client, officer_a, officer_b, overdue):
    client.force_login(officer_a)
    response = client.post(action(overdue, "assign"), {"assign-assignee": officer_b.pk})
    assert response.status_code == 400
    overdue.refresh_from_db()
    assert overdue.assignee is None


def test_an_officer_resolves_the_warning_with_a_note(client, officer_a, overdue):
    client.force_login(officer_a)
    response = client.post(action(overdue, "resolve"), {"resolve-note": "The load arrived."})
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.status == WarningStatus.RESOLVED
    assert overdue.events.get(action="resolve").note == "The load arrived."


def test_resolving_without_a_note_is_refused(client, officer_a, overdue):
    client.force_login(officer_a)
    response = client.post(action(overdue, "resolve"), {"resolve-note": ""})
    assert response.status_code == 400
    overdue.refresh_from_db()
    assert overdue.status == WarningStatus.OPEN


def test_an_officer_dismisses_the_warning(client, officer_a, overdue):
    client.force_login(officer_a)
    assert client.post(action(overdue, "dismiss"), {"dismiss-note": "Known delay"}).status_code == 302
    overdue.refresh_from_db()
    assert overdue.status == WarningStatus.DISMISSED


def test_a_closed_warning_cannot_be_closed_again(client, officer_a, overdue):
    client.force_login(officer_a)
    client.post(action(overdue, "dismiss"), {"dismiss-note": "Known delay"})
    response = client.post(action(overdue, "resolve"), {"resolve-note": "Again"})
    assert response.status_code == 409


def test_enterprise_users_cannot_act(client, preparer_x, overdue):
    client.force_login(preparer_x)
    response = client.post(action(overdue, "resolve"), {"resolve-note": "Done"})
    assert response.status_code == 403
    overdue.refresh_from_db()
    assert overdue.status == WarningStatus.OPEN


def test_the_provincial_officer_may_act(client, provincial, overdue):
    client.force_login(provincial)
    assert client.post(action(overdue, "resolve"), {"resolve-note": "Checked"}).status_code == 302


def test_an_unknown_action_is_404(client, officer_a, overdue):
    client.force_login(officer_a)
    assert client.post(action(overdue, "explode")).status_code == 404


@pytest.mark.parametrize("park", ["²", "０１"])
def test_a_park_filter_not_written_in_ascii_digits_is_ignored(client, officer_a, overdue, park):
    client.force_login(officer_a)
    response = client.get(LIST, {"park": park})
    assert response.status_code == 200
    assert list(response.context["page"]) == [overdue]
