"""Reporting duties follow the HJ 1259-2022 class through one verb, `Enterprise.objects.must_file(period)`:
a key supervised site files monthly, a simplified one quarterly, every class the annual report (31 March);
the reminders, the dashboard's compliance card, REPORT_MISSING and the API all ask it, so they agree.

Personas in park A: Key K (a generator), Simplified S, Registration G, receiver R (key: it holds a licence),
carrier C (files nothing), pending P, newcomer N (key, registered in February); Y is in park B.
"""

from datetime import date, datetime

import pytest
from django.core import mail
from django.urls import reverse

from registry.models import Enterprise, EnterpriseStatus, ManagementClass
from registry.rules import ReportKind, filing_deadline
from reporting.models import MonthlyReport, ReportReminder, Warning
from reporting.services import dashboard
from reporting.services import reports as services
from reporting.warnings import RULES_BY_CODE, run_rules
from tests import factories as f
from tests.fixtures.reports import HW, book, clock, make_report, registered_on
from transfers.models import LedgerStage
from wasteparks.errors import RuleViolation
from wasteparks.periods import Period, local_date, zone

pytestmark = pytest.mark.django_db

KEY, SIMPLIFIED, REGISTRATION = ManagementClass.KEY, ManagementClass.SIMPLIFIED, ManagementClass.REGISTRATION
# A past year, so every period below has ended whatever day the tests run.
Y = local_date().year - 1
# 20 April: the March report, the first quarter's report (both due 15 April) and last year's annual report
# (due 31 March) are all late.
MOMENT = datetime(Y, 4, 20, 10, tzinfo=zone())
MARCH, Q1, LAST_YEAR = Period.month_of(Y, 3), Period.quarter_of(Y, 1), Period.year_of(Y - 1)


@pytest.fixture
def park(park_a, receiver_r, carrier_c, enterprise_y):
    firms = {
        "K": f.EnterpriseFactory(name="Key K", park=park_a, management_class=KEY),
        "S": f.EnterpriseFactory(name="Simplified S", park=park_a, management_class=SIMPLIFIED),
        "G": f.EnterpriseFactory(name="Registration G", park=park_a, management_class=REGISTRATION),
        "P": f.EnterpriseFactory(name="Pending P", park=park_a, status=EnterpriseStatus.PENDING),
        "N": f.EnterpriseFactory(name="Newcomer N", park=park_a, management_class=KEY),
        "R": receiver_r,
        "C": carrier_c,
        "Y": enterprise_y,
    }
    registered_on(datetime(Y - 2, 1, 1, tzinfo=zone()), *[e for key, e in firms.items() if key != "N"])
    registered_on(datetime(Y, 2, 10, tzinfo=zone()), firms["N"])
    return firms


def owing(period: Period, park_a) -> set[str]:
    return set(Enterprise.objects.must_file(period).filter(park=park_a).values_list("name", flat=True))


def test_the_class_decides_which_report_is_owed(park, park_a):
    assert owing(MARCH, park_a) == {"Key K", "Receiver R", "Newcomer N"}
    assert owing(Q1, park_a) == {"Simplified S"}
    assert owing(LAST_YEAR, park_a) == {"Key K", "Simplified S", "Registration G", "Receiver R"}
    # Newcomer N registered in February: January and last year are owed by nobody of its kind.
    assert "Newcomer N" not in owing(Period.month_of(Y, 1), park_a)
    # No report covers a rolling window or a quarter starting in February.
    assert owing(MARCH.rolling(12), park_a) == set() == owing(Period(Y, 2, 3), park_a)


def test_deadlines_come_from_the_one_period_object():
    assert filing_deadline(MARCH) == date(Y, 4, 15)
    assert filing_deadline(Q1) == date(Y, 4, 15)
    assert filing_deadline(Period.quarter_of(Y - 1, 4)) == date(Y, 1, 15)
    assert filing_deadline(LAST_YEAR) == date(Y, 3, 31)


def test_the_reminders_the_compliance_card_report_missing_and_the_api_agree(park, park_a, client, officer_a):
    make_report(enterprise=park["K"], period=MARCH, status="submitted")  # on time: K owes only its annual report
    expected = {
        ("Key K", str(LAST_YEAR)),
        ("Simplified S", str(Q1)),
        ("Simplified S", str(LAST_YEAR)),
        ("Registration G", str(LAST_YEAR)),
        ("Receiver R", str(MARCH)),
        ("Receiver R", str(LAST_YEAR)),
        ("Newcomer N", str(MARCH)),
    }

    card = dashboard.compliance(dashboard.Subject.of_park(park_a), now=MOMENT)
    assert {(row["name"], row["period"]) for row in card["missing"]} == expected
    assert [duty["period"] for duty in card["duties"]] == [str(MARCH), str(Q1), str(LAST_YEAR)]
    assert card["due"] == len(expected) + 1 and card["on_time"] == 1

    with clock(MOMENT):
        run_rules(rules=(RULES_BY_CODE["REPORT_MISSING"],), now=MOMENT)
    warned = {
        (w.enterprise.name, w.evidence["period"])
        for w in Warning.objects.live().filter(rule="REPORT_MISSING", park=park_a).select_related("enterprise")
        if w.evidence["period"] in {str(MARCH), str(Q1), str(LAST_YEAR)}
    }
    assert warned == expected

    with clock(MOMENT):
        services.send_due_reminders(today=MOMENT.date())
    reminded = {
        (r.enterprise.name, str(Period(r.year, r.month, r.report_kind)))
        for r in ReportReminder.objects.filter(enterprise__park=park_a).select_related("enterprise")
    }
    assert reminded == expected
    assert any("Annual report" in message.subject for message in mail.outbox)

    client.force_login(officer_a)
    served = set()
    for period in (MARCH, Q1, LAST_YEAR):
        body = client.get("/api/v1/monthly-reports/duties/", {"period": str(period)}).json()
        served |= {(row["enterprise_name"], row["period"]) for row in body["results"] if not row["filed"]}
        assert {row["report_kind"] for row in body["results"]} <= {period.length}
    assert served == expected


def test_a_quarterly_report_reuses_the_report_and_its_workflow(park, park_a):
    simplified = park["S"]
    preparer = f.member(f.UserFactory(username="s-preparer"), simplified)
    store = f.FacilityFactory(enterprise=simplified)
    for month in (1, 2, 3):
        book(
            actor=preparer,
            facility=store,
            code=HW,
            stage=LedgerStage.GENERATED,
            quantity="2.5",
            when=datetime(Y, month, 10, tzinfo=zone()),
        )
    with clock(MOMENT):
        report = services.create_monthly_report(actor=preparer, enterprise=simplified, year=Y, month=1, report_kind=3)
        [line] = report.revision.lines.all()
        assert line.generated_t == 7.5  # the quarter's three months
        services.submit_monthly_report(report=report, actor=preparer)
    report.refresh_from_db()
    assert report.period == Q1 and report.deadline == date(Y, 4, 15) and report.is_late is True
    assert Enterprise.objects.must_file(Q1).filter(pk=simplified.pk).exists()
    assert not services.enterprises_due(period=Q1).filter(pk=simplified.pk).exists()


@pytest.mark.parametrize(("month", "kind"), [(2, 3), (4, 12), (1, 6)])
def test_a_period_that_is_no_report_period_is_refused_and_nothing_is_written(park, month, kind):
    preparer = f.member(f.UserFactory(username="s-filer"), park["S"])
    with pytest.raises(RuleViolation) as refused:
        services.create_monthly_report(actor=preparer, enterprise=park["S"], year=Y, month=month, report_kind=kind)
    assert refused.value.code == "invalid_period"
    assert not MonthlyReport.objects.exists()


def test_the_duties_api_refuses_a_bad_period_and_hides_other_parks(park, client, officer_a, officer_b):
    client.force_login(officer_a)
    for bad in ("", "2026-13", "2026-Q5", "26", "2026-1"):
        response = client.get("/api/v1/monthly-reports/duties/", {"period": bad})
        assert response.status_code == 400, bad
    client.force_login(officer_b)
    body = client.get("/api/v1/monthly-reports/duties/", {"period": str(MARCH)}).json()
    assert {row["enterprise_name"] for row in body["results"]} == {"Enterprise Y (generator, park B)"}


def test_the_api_files_a_quarterly_report(park, client):
    preparer = f.member(f.UserFactory(username="s-api"), park["S"])
    client.force_login(preparer)
    response = client.post(
        "/api/v1/monthly-reports/",
        {"enterprise": park["S"].pk, "year": Y, "month": 1, "report_kind": 3},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["period"], response.json()["report_kind"]) == (str(Q1), ReportKind.QUARTERLY)
    bad = client.post(
        "/api/v1/monthly-reports/",
        {"enterprise": park["S"].pk, "year": Y, "month": 2, "report_kind": 3},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert MonthlyReport.objects.count() == 1


def test_the_report_page_starts_an_annual_report_for_the_year_of_the_month_chosen(park, client):
    preparer = f.member(f.UserFactory(username="g-preparer"), park["G"])
    client.force_login(preparer)
    response = client.post(
        reverse("reporting:report_start"), {"enterprise": park["G"].pk, "period": f"{Y - 1}-05", "report_kind": "12"}
    )
    report = MonthlyReport.objects.get()
    assert response.url == reverse("reporting:report_detail", args=[report.pk])
    assert report.period == LAST_YEAR and report.deadline == date(Y, 3, 31)
    bad = client.post(
        reverse("reporting:report_start"), {"enterprise": park["G"].pk, "period": f"{Y}-01", "report_kind": "7"}
    )
    assert bad.status_code == 302 and MonthlyReport.objects.count() == 1
