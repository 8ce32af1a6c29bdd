"""The officers' dashboard: a park's figures from the snapshots, the province's comparison table, who
sees it, and a query count that does not grow with the data."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from registry.models import EnterpriseRole
from reporting.models import MonthlyReport
from reporting.services import dashboard as services
from tests import factories as f
from tests.fixtures.reports import registered_on
from tests.reporting.views_seed import many_warnings, overdue_manifest, recompute_now, seed_ledger
from wasteparks.periods import Period

URL = reverse("reporting:dashboard")


def chart_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="dashboard-data" type="application/json">') + len(
        '<script id="dashboard-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def seeded(preparer_x, x_store, hazardous_draft, advance, park_a):
    seed_ledger(preparer_x, x_store)
    manifest = overdue_manifest(hazardous_draft, advance)
    recompute_now()
    return manifest


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_enterprise_users_may_not_see_the_dashboard(client, preparer_x):
    client.force_login(preparer_x)
    assert client.get(URL).status_code == 403


def test_a_park_officer_sees_the_park_figures_from_the_snapshots(client, officer_a, park_a, seeded):
    client.force_login(officer_a)
    response = client.get(URL)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.subject.park == park_a
    general = next(row for row in board.this_month if row["waste_class"] == "general")
    assert (general["generated"], general["utilized"]) == (Decimal("120.0000"), Decimal("90.0000"))
    assert board.rolling_rate_pct == Decimal("75.0000")
    data = chart_data(response)
    assert data["gauge"] == {"rate": 75.0, "target": float(park_a.utilization_target_pct)}
    assert len(data["months"]) == 12
    # The current month, still filling, says so on the trend's axis.
    assert data["month_labels"][:-1] == data["months"][:-1]
    assert data["month_labels"][-1] == f"{data['months'][-1]} so far"
    assert {series["waste_class"] for series in data["trend"]} == {"general", "hazardous"}
    assert data["trend"][0]["generated"][-1] == 120.0
    # The manifest from X to R (in transit) is the park's one flow.
    assert data["sankey"]["links"] == [
        {"source": f"s{seeded.consignor_id}", "target": f"r{seeded.receiver_id}", "value": 10.0}
    ]
    assert board.warnings["critical"] + board.warnings["warning"] + board.warnings["info"] >= 1
    html = response.content.decode()
    assert 'data-chart="gauge"' in html and 'data-chart="trend"' in html and 'data-chart="sankey"' in html
    assert "js/dashboard." in html


def test_open_warnings_link_to_the_filtered_warning_list(client, officer_a, park_a, seeded):
    client.force_login(officer_a)
    html = client.get(URL).content.decode()
    assert f"{reverse('reporting:warning_list')}?severity=critical&amp;status=live&amp;park={park_a.pk}" in html


def test_compliance_counts_filed_late_and_missing_reports(client, officer_a, park_a, enterprise_x, receiver_r):
    period = Period.containing().previous()
    other = f.EnterpriseFactory(name="Enterprise Z", park=park_a)
    registered_on(period.start, enterprise_x, receiver_r, other)
    user = f.member(f.UserFactory(username="z"), other, EnterpriseRole.PREPARER)
    MonthlyReport.objects.create(
        enterprise=enterprise_x,
        year=period.year,
        month=period.month,
        status="submitted",
        first_submitted_at=period.end,
        created_by=user,
    )
    MonthlyReport.objects.create(
        enterprise=other,
        year=period.year,
        month=period.month,
        status="submitted",
        first_submitted_at=period.end,
        is_late=True,
        created_by=user,
    )
    client.force_login(officer_a)
    compliance = client.get(URL).context["board"].compliance
    assert compliance["due"] == 3  # X, Z and receiver R; the carrier files nothing
    assert compliance["on_time"] == 1
    assert [row["name"] for row in compliance["late"]] == ["Enterprise Z"]
    assert [row["name"] for row in compliance["missing"]] == ["Receiver R"]


def test_an_officer_of_several_parks_picks_one(client, park_a, park_b, seeded):
    officer = f.park_officer(f.park_officer(f.UserFactory(username="both"), park_a), park_b)
    client.force_login(officer)
    assert client.get(URL, {"park": park_b.pk}).context["board"].subject.park == park_b
    assert client.get(URL).context["board"].subject.park in (park_a, park_b)


def test_an_officer_cannot_pick_another_officers_park(client, officer_b, park_a):
    client.force_login(officer_b)
    assert client.get(URL, {"park": park_a.pk}).status_code == 404


def test_the_provincial_officer_gets_the_province_and_a_park_comparison(client, provincial, park_a, park_b, seeded):
    client.force_login(provincial)
    response = client.get(URL)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.subject.park is None and board.subject.province_code == "52"
    assert board.rolling_rate_pct == Decimal("75.0000")
    rows = {row["park"]: row for row in response.context["park_rows"]}
    assert rows[park_a]["rate"] == Decimal("75.0000")
    assert rows[park_a]["generated"] == sum(row["generated"] for row in board.this_month) > 0
    assert rows[park_b]["rate"] is None
    assert chart_data(response)["gauge"]["target"] is None


def test_the_park_comparison_sorts_by_rate(client, provincial, park_a, park_b, seeded):
    client.force_login(provincial)
    rows = client.get(URL, {"sort": "-generated"}).context["park_rows"]
    assert [row["park"] for row in rows] == [park_a, park_b]
    rows = client.get(URL, {"sort": "generated"}).context["park_rows"]
    assert [row["park"] for row in rows] == [park_b, park_a]


def test_the_provincial_officer_may_open_one_park(client, provincial, park_b, seeded):
    client.force_login(provincial)
    assert client.get(URL, {"park": park_b.pk}).context["board"].subject.park == park_b


def _grow(park, enterprise, count):
    many_warnings(park=park, enterprise=enterprise, count=count)
    for index in range(count):
        f.EnterpriseFactory(name=f"Generator {park.pk}-{index}", park=park)


def _queries(client, django_assert_max_num_queries, user, params, limit):
    client.force_login(user)
    cache.clear()  # the flows are cached between views; count the queries of a first view
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(URL, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["officer_a", "provincial"])
def test_the_dashboard_costs_the_same_for_5_and_50_rows(
    client, django_assert_max_num_queries, request, persona, park_a, park_b, enterprise_x, seeded
):
    user = request.getfixturevalue(persona)
    _grow(park_a, enterprise_x, 5)
    recompute_now()
    small = _queries(client, django_assert_max_num_queries, user, {}, 25)
    _grow(park_a, enterprise_x, 45)
    recompute_now()
    large = _queries(client, django_assert_max_num_queries, user, {}, 25)
    assert small == large


def test_an_officers_dashboard_reads_its_year_aggregates_once_per_interval_and_says_when(
    client, officer_a, seeded, monkeypatch, settings
):
    reads = []
    read_flows, carbon_of = services.read_flows, services.carbon_of
    monkeypatch.setattr(services, "read_flows", lambda *a, **k: reads.append("flows") or read_flows(*a, **k))
    monkeypatch.setattr(services, "carbon_of", lambda *a, **k: reads.append("carbon") or carbon_of(*a, **k))
    client.force_login(officer_a)
    first = client.get(URL)
    second = client.get(URL)
    assert sorted(reads) == ["carbon", "flows"]
    assert chart_data(first)["sankey"] == chart_data(second)["sankey"]
    html = second.content.decode()
    assert 'data-testid="flows-as-of"' in html
    assert 'data-testid="carbon-as-of"' in html

    settings.DASHBOARD_AGGREGATES_CACHE_SECONDS = 0
    cache.clear()
    client.get(URL)
    client.get(URL)
    assert sorted(reads) == ["carbon"] * 3 + ["flows"] * 3


def test_a_park_with_many_missing_reports_names_some_and_counts_the_rest(client, officer_a, park_a, monkeypatch):
    monkeypatch.setattr(services, "COMPLIANCE_LISTED", 2)
    silent = [f.EnterpriseFactory(name=f"Silent {number}", park=park_a) for number in range(4)]
    registered_on(Period.containing().previous().start, *silent)
    client.force_login(officer_a)
    response = client.get(URL)
    compliance = response.context["board"].compliance
    # Last month's reports (in January, registered last year, they owe its annual report too).
    assert len([row for row in compliance["missing"] if row["period"] == compliance["period"]]) == 4
    assert [row["name"] for row in compliance["missing_shown"]] == ["Silent 0", "Silent 1"]
    assert compliance["unlisted"] == len(compliance["missing"]) - 2
    html = response.content.decode()
    assert 'data-testid="compliance-unlisted"' in html and "?rule=REPORT_MISSING" in html


def test_the_officer_is_told_a_month_ahead_which_year_the_holiday_calendar_lacks(
    client, officer_a, park_a, seeded, monkeypatch
):
    from reporting.views import dashboard as view
    from wasteparks.workdays import LAST_YEAR

    client.force_login(officer_a)
    monkeypatch.setattr(view, "local_date", lambda: date(LAST_YEAR, 11, 30))
    assert 'data-testid="calendar-notice"' not in client.get(URL).content.decode()
    monkeypatch.setattr(view, "local_date", lambda: date(LAST_YEAR, 12, 1))
    html = client.get(URL).content.decode()
    assert 'data-testid="calendar-notice"' in html
    assert f"the State Council's {LAST_YEAR + 1} arrangement" in html.replace("&#x27;", "'")


@pytest.mark.parametrize("park", ["²", "０１", "99999999999999999999"])
def test_a_park_not_written_in_ascii_digits_is_404_for_the_officer(client, officer_a, park):
    client.force_login(officer_a)
    assert client.get(URL, {"park": park}).status_code == 404
