"""Monthly report pages: the list, the report page with its balance check, filing and review, for
every persona; query counts on the list; exports that cannot run formulas."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reporting.models import MonthlyReport, MonthlyReportEvent, ReportStatus
from tests import factories as f
from tests.fixtures.reports import HW, SW, D, last_period, make_report
from wasteparks.periods import Period

pytestmark = pytest.mark.django_db


def lines_post(report, **changes) -> dict:
    """The lines formset as the page posts it, with `changes` as {"<code>": {"<field>": value}}."""
    lines = list(report.current_revision.lines.select_related("waste_code").order_by("waste_code__code"))
    data = {"line-TOTAL_FORMS": str(len(lines)), "line-INITIAL_FORMS": str(len(lines))}
    for index, line in enumerate(lines):
        values = {f"{name}_t": getattr(line, f"{name}_t") for name in line.figures()}
        values["adjustment_reason"] = line.adjustment_reason
        values.update(changes.get(line.waste_code.code, {}))
        data.update({f"line-{index}-{key}": str(value) for key, value in values.items()})
    return data


def detail(report):
    return reverse("reporting:report_detail", args=[report.pk])


def action(report, name):
    return reverse(f"reporting:report_{name}", args=[report.pk])


# --- access ---------------------------------------------------------------------------------------


def test_pages_need_a_login(client, report_x):
    for url in [reverse("reporting:report_list"), detail(report_x), action(report_x, "workbook")]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for name in ["lines", "prefill", "submit", "accept", "return"]:
        response = client.post(action(report_x, name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert MonthlyReportEvent.objects.filter(report=report_x).count() == 1


@pytest.mark.parametrize("persona", ["officer_b", "preparer_y"])
def test_others_get_404_on_the_report_and_its_actions(client, report_x, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(detail(report_x)).status_code == 404
    assert client.get(action(report_x, "workbook")).status_code == 404
    for name in ["lines", "prefill", "submit", "accept", "return"]:
        assert client.post(action(report_x, name), {"comment": "x"}).status_code == 404, name
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.DRAFT


@pytest.mark.parametrize("persona", ["preparer_x", "officer_a", "provincial"])
def test_the_enterprise_its_officer_and_the_province_see_the_report(client, report_x, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(detail(report_x))
    assert response.status_code == 200
    html = response.content.decode()
    assert HW in html and SW in html
    assert response.context["can_file"] is (persona == "preparer_x")
    assert response.context["can_review"] is False


def test_the_list_shows_each_persona_only_its_own(client, enterprise_x, enterprise_y, officer_a, officer_b, preparer_y):
    period = last_period()
    x = make_report(enterprise=enterprise_x, period=period)
    y = make_report(enterprise=enterprise_y, period=period, user=f.UserFactory(username="filer_y"))
    for user, expected in [(officer_a, [x]), (officer_b, [y]), (preparer_y, [y])]:
        client.force_login(user)
        response = client.get(reverse("reporting:report_list"))
        assert list(response.context["page"]) == expected


# --- the report page: balance check, filing -------------------------------------------------------


def test_the_prefilled_report_balances_and_shows_it(client, report_x, preparer_x):
    client.force_login(preparer_x)
    response = client.get(detail(report_x))
    html = response.content.decode()
    assert 'data-testid="balance-summary" data-balanced="yes"' in html
    assert response.context["failing"] == []
    hw = next(check for check in response.context["checks"] if check.line.waste_code.code == HW)
    assert hw.expected_closing == D("40.25")


def test_an_adjustment_without_a_reason_is_a_field_error_and_saves_nothing(client, report_x, preparer_x):
    client.force_login(preparer_x)
    response = client.post(action(report_x, "lines"), lines_post(report_x, **{HW: {"generated_t": "30"}}))
    assert response.status_code == 400
    form = next(form for form in response.context["formset"].forms if form.line.waste_code.code == HW)
    assert "reason" in str(form.errors["adjustment_reason"])
    assert 'data-testid="reason-error"' in response.content.decode()
    line = report_x.current_revision.lines.get(waste_code__code=HW)
    assert line.generated_t == D("25.5")


@pytest.mark.parametrize("value, message", [("-1", "greater than or equal"), ("abc", "number"), ("1.00001", "4")])
def test_bad_figures_are_field_errors(client, report_x, preparer_x, value, message):
    client.force_login(preparer_x)
    response = client.post(
        action(report_x, "lines"), lines_post(report_x, **{HW: {"generated_t": value, "adjustment_reason": "x"}})
    )
    assert response.status_code == 400
    form = next(form for form in response.context["formset"].forms if form.line.waste_code.code == HW)
    assert message in str(form.errors["generated_t"])
    assert MonthlyReportEvent.objects.filter(report=report_x, action="adjust").count() == 0


def test_an_adjustment_with_a_reason_is_saved_and_an_unbalanced_report_is_refused(client, report_x, preparer_x):
    client.force_login(preparer_x)
    changes = {HW: {"generated_t": "30", "adjustment_reason": "Drum weighed again"}}
    response = client.post(action(report_x, "lines"), lines_post(report_x, **changes))
    assert response.status_code == 302
    line = report_x.current_revision.lines.get(waste_code__code=HW)
    assert (line.generated_t, line.generated_prefill_t, line.adjustment_reason) == (
        D("30"),
        D("25.5"),
        "Drum weighed again",
    )
    page = client.get(detail(report_x))
    html = page.content.decode()
    assert 'data-balanced="no"' in html
    assert [check.line.waste_code.code for check in page.context["failing"]] == [HW]
    assert "44.75" in html  # the expected closing stock, beside the 40.25 given

    refused = client.post(action(report_x, "submit"))
    assert refused.status_code == 400
    assert "does not balance" in refused.content.decode()
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.DRAFT

    fixed = {HW: {"generated_t": "30", "closing_stock_t": "44.75", "adjustment_reason": "Drum weighed again"}}
    assert client.post(action(report_x, "lines"), lines_post(report_x, **fixed)).status_code == 302
    assert client.post(action(report_x, "submit")).status_code == 302
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.SUBMITTED


def test_refreshing_the_prefill(client, report_x, preparer_x):
    client.force_login(preparer_x)
    assert client.post(action(report_x, "prefill")).status_code == 302
    assert MonthlyReportEvent.objects.filter(report=report_x, action="prefill").count() == 1


def test_a_submitted_report_is_no_longer_editable(client, report_x, preparer_x):
    client.force_login(preparer_x)
    client.post(action(report_x, "submit"))
    page = client.get(detail(report_x))
    assert page.context["can_file"] is False and page.context["formset"] is None
    assert client.post(action(report_x, "lines"), lines_post(report_x)).status_code == 409
    assert client.post(action(report_x, "prefill")).status_code == 409
    assert client.post(action(report_x, "submit")).status_code == 409


def test_the_officer_cannot_file_and_the_clerk_cannot_review(client, report_x, preparer_x, officer_a):
    client.force_login(officer_a)
    assert client.post(action(report_x, "submit")).status_code == 403
    assert client.post(action(report_x, "lines"), lines_post(report_x)).status_code == 302  # nothing changed
    client.force_login(preparer_x)
    client.post(action(report_x, "submit"))
    assert client.post(action(report_x, "accept")).status_code == 403
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.SUBMITTED


# --- review ---------------------------------------------------------------------------------------


def test_the_officer_accepts(client, report_x, preparer_x, officer_a):
    client.force_login(preparer_x)
    client.post(action(report_x, "submit"))
    client.force_login(officer_a)
    page = client.get(detail(report_x))
    assert page.context["can_review"] is True
    assert client.post(action(report_x, "accept"), {"comment": "Checked"}).status_code == 302
    report_x.refresh_from_db()
    assert (report_x.status, report_x.review_comment, report_x.reviewed_by) == (
        ReportStatus.ACCEPTED,
        "Checked",
        officer_a,
    )


def test_returning_needs_a_comment_and_opens_the_next_revision(client, report_x, preparer_x, officer_a):
    client.force_login(preparer_x)
    client.post(action(report_x, "submit"))
    client.force_login(officer_a)
    response = client.post(action(report_x, "return"), {"comment": "  "})
    assert response.status_code == 400
    assert response.context["return_form"].errors["comment"]
    report_x.refresh_from_db()
    assert report_x.status == ReportStatus.SUBMITTED

    assert client.post(action(report_x, "return"), {"comment": "SW07 is missing the sludge press"}).status_code == 302
    report_x.refresh_from_db()
    assert (report_x.status, report_x.current_revision.number) == (ReportStatus.RETURNED, 2)
    client.force_login(preparer_x)
    page = client.get(detail(report_x))
    html = page.content.decode()
    assert page.context["can_file"] is True
    assert "SW07 is missing the sludge press" in html
    assert [revision.number for revision in page.context["revisions"]] == [2, 1]


def test_reviewing_a_draft_is_a_conflict(client, report_x, officer_a):
    client.force_login(officer_a)
    assert client.post(action(report_x, "accept")).status_code == 409


# --- the list -------------------------------------------------------------------------------------


def test_starting_a_report_for_an_ended_month(client, scripted_month, preparer_x, enterprise_x):
    client.force_login(preparer_x)
    period = scripted_month["period"]
    response = client.post(reverse("reporting:report_start"), {"enterprise": enterprise_x.pk, "period": str(period)})
    report = MonthlyReport.objects.get(enterprise=enterprise_x)
    assert response["Location"] == detail(report)
    assert report.current_revision.lines.count() == 2
    # Asking again opens the same report.
    again = client.post(reverse("reporting:report_start"), {"enterprise": enterprise_x.pk, "period": str(period)})
    assert again["Location"] == detail(report)


@pytest.mark.parametrize("which", ["current", "future"])
def test_a_running_or_future_month_is_refused_with_a_message(client, preparer_x, enterprise_x, which):
    client.force_login(preparer_x)
    period = last_period().next()
    if which == "future":
        period = period.next()
    response = client.post(
        reverse("reporting:report_start"), {"enterprise": enterprise_x.pk, "period": str(period)}, follow=True
    )
    assert not MonthlyReport.objects.exists()
    assert "once the month is over" in response.content.decode()


def test_starting_for_another_enterprise_or_as_an_officer_is_refused(client, enterprise_y, preparer_x, officer_a):
    for user, enterprise in [(preparer_x, enterprise_y), (officer_a, enterprise_y)]:
        client.force_login(user)
        response = client.post(
            reverse("reporting:report_start"), {"enterprise": enterprise.pk, "period": str(last_period())}
        )
        assert response.status_code == 302
    assert not MonthlyReport.objects.exists()


def test_the_officer_filters_sorts_and_pages(client, park_a, officer_a, enterprise_x):
    period = last_period()
    late = make_report(enterprise=enterprise_x, period=period, status="submitted")
    MonthlyReport.objects.filter(pk=late.pk).update(is_late=True)
    earlier = make_report(enterprise=enterprise_x, period=period.previous(), status="accepted")
    client.force_login(officer_a)
    url = reverse("reporting:report_list")
    assert list(client.get(url, {"late": "yes"}).context["page"]) == [late]
    assert list(client.get(url, {"status": "accepted"}).context["page"]) == [earlier]
    assert list(client.get(url, {"period": str(period.previous())}).context["page"]) == [earlier]
    assert list(client.get(url, {"sort": "period"}).context["page"]) == [earlier, late]
    assert list(client.get(url, {"sort": "-period"}).context["page"]) == [late, earlier]
    bad = client.get(url, {"period": "last month", "sort": "nonsense"})
    assert bad.status_code == 200 and bad.context["form"].errors["period"]


def _reports(park, count: int):
    period = last_period()
    for index in range(count):
        enterprise = f.EnterpriseFactory(park=park, name=f"E{index:03d}")
        make_report(enterprise=enterprise, period=period, status="submitted", lines={HW: {"generated": 1}})


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_constant_number_of_queries(client, park_a, officer_a, count, django_assert_max_num_queries):
    f.UserFactory(username="filer")
    _reports(park_a, count)
    client.force_login(officer_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reporting:report_list"))
    assert len(response.context["page"]) == count


@pytest.mark.parametrize("count", [5, 50])
def test_the_export_runs_a_constant_number_of_queries(client, park_a, officer_a, count, django_assert_max_num_queries):
    _reports(park_a, count)
    client.force_login(officer_a)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("reporting:report_list"), {"export": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.max_row == count + 1


def test_exports_keep_formulas_as_text(client, enterprise_x, officer_a):
    report = make_report(enterprise=enterprise_x, period=last_period(), status="returned", lines={HW: {"generated": 2}})
    MonthlyReport.objects.filter(pk=report.pk).update(review_comment='=HYPERLINK("http://evil","x")')
    client.force_login(officer_a)
    xlsx = client.get(reverse("reporting:report_list"), {"export": "xlsx"})
    sheet = load_workbook(BytesIO(xlsx.content)).active
    comments = [row[10] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert comments == ['\'=HYPERLINK("http://evil","x")']
    csv = client.get(reverse("reporting:report_list"), {"export": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and ",=HYPERLINK" not in csv
    workbook = client.get(action(report, "workbook"))
    cells = [cell for row in load_workbook(BytesIO(workbook.content)).active.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert any(cell.value == '\'=HYPERLINK("http://evil","x")' for cell in cells)


def test_the_park_workbook_for_a_period(client, park_a, park_b, enterprise_x, enterprise_y, officer_a):
    period = last_period()
    make_report(enterprise=enterprise_x, period=period, status="submitted", lines={HW: {"generated": 3}})
    make_report(enterprise=enterprise_y, period=period, user=f.UserFactory(username="filer_y"))
    client.force_login(officer_a)
    url = reverse("reporting:report_list")
    response = client.get(url, {"workbook": "1", "park": park_a.pk, "period": str(period)})
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(response.content))
    assert len(workbook.sheetnames) == 2  # the summary and enterprise X's report
    # Another park's workbook is not offered, whatever the URL says.
    refused = client.get(url, {"workbook": "1", "park": park_b.pk, "period": str(period)})
    assert refused.status_code == 302
    assert client.get(url, {"workbook": "1", "park": park_a.pk, "period": "x"}).status_code == 302


def test_pagination_keeps_the_filters(client, park_a, officer_a):
    _reports(park_a, 51)
    client.force_login(officer_a)
    html = client.get(reverse("reporting:report_list"), {"status": "submitted", "sort": "enterprise"}).content.decode()
    assert "?status=submitted&amp;sort=enterprise&amp;page=2" in html


def test_period_helper_round_trip():
    assert str(Period(2026, 3)) == "2026-03"
