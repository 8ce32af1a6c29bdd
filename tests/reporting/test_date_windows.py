"""Date windows at the reporting edges (wasteparks/bounds.py): an inspection's date is held to EVENT (the
visit has happened, and by today: a later day is "in the future" as before), its rectification deadline
to DEADLINE, and a report's or a recompute's month to the months the platform keeps. Through the
inspection form and service, the report start form, API and service, and the recompute form, a year-1
or year-9999 value is refused with a field message and writes nothing; an ordinary date goes through."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from registry.clients import create_api_client
from registry.models import ApiScope, Park
from reporting.forms.dashboard import RecomputeForm
from reporting.forms.inspections import InspectionForm
from reporting.forms.reports import StartReportForm
from reporting.models import Inspection, MonthlyReport
from reporting.services import inspections as inspection_services
from reporting.services import reports as report_services
from tests.api.conftest import bearer, error_of
from tests.fixtures.reports import last_period
from tests.security.test_bad_input import table_counts
from wasteparks.errors import RuleViolation
from wasteparks.periods import Period

pytestmark = pytest.mark.django_db

BAD_DAYS = ["0001-01-01", "9999-12-31"]
BAD_MONTHS = ["0001-01", "9999-12"]
EARLY = "Must be on or after 2000-01-01."
LATE = "Must be on or before"
NOT_AFTER_TODAY = "Choose today or an earlier day."

INSPECTION_NEW = reverse("reporting:inspection_new")
REPORT_START = reverse("reporting:report_start")
REPORTS_API = reverse("api:monthly-report-list")
RECOMPUTE = reverse("reporting:recompute")


def today() -> date:
    return timezone.localdate()


def refusal_for(value: str) -> str:
    return LATE if value.startswith("9999") else EARLY


def inspection_form(enterprise, *, day: str, deadline: str = "") -> dict:
    return {
        "enterprise": enterprise.pk,
        "date": day,
        "kind": "site_visit",
        "findings": "Drums stored outside the bunded area.",
        "required_rectification": "Move the drums inside." if deadline else "",
        "rectification_deadline": deadline,
    }


@pytest.fixture
def erp_x(enterprise_x):
    return bearer(create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)[1])


# --- the fields themselves -------------------------------------------------------------------------


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_form_fields_carry_the_windows(officer_a, preparer_x, park_a, enterprise_x, day):
    """The field message comes from the form, before any service is asked."""
    month = day[:7]
    inspection = InspectionForm(inspection_form(enterprise_x, day=day, deadline=day), user=officer_a)
    start = StartReportForm({"enterprise": enterprise_x.pk, "period": month}, user=preparer_x)
    recompute = RecomputeForm({"park": park_a.pk, "period": month}, parks=Park.objects.filter(pk=park_a.pk))
    assert inspection.errors["date"] == [NOT_AFTER_TODAY if day.startswith("9999") else EARLY]
    assert inspection.errors["rectification_deadline"][0].startswith(refusal_for(day))
    assert start.errors["period"][0].startswith(refusal_for(day))
    assert recompute.errors["period"]


# --- inspections: EVENT for the visit, DEADLINE for the rectification ------------------------------


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_inspection_form_refuses_a_date_outside_the_event_window(client, officer_a, enterprise_x, day):
    client.force_login(officer_a)
    before = table_counts()
    response = client.post(INSPECTION_NEW, inspection_form(enterprise_x, day=day))
    assert response.status_code == 400
    assert response.context["form"].errors["date"] == [NOT_AFTER_TODAY if day.startswith("9999") else EARLY]
    assert table_counts() == before


@pytest.mark.parametrize("deadline", BAD_DAYS)
def test_the_inspection_form_refuses_a_deadline_outside_the_deadline_window(client, officer_a, enterprise_x, deadline):
    client.force_login(officer_a)
    before = table_counts()
    response = client.post(INSPECTION_NEW, inspection_form(enterprise_x, day=today().isoformat(), deadline=deadline))
    assert response.status_code == 400
    assert response.context["form"].errors["rectification_deadline"][0].startswith(refusal_for(deadline))
    assert table_counts() == before


def test_the_inspection_form_takes_today_with_a_deadline_four_years_ahead(client, officer_a, enterprise_x):
    client.force_login(officer_a)
    deadline = today() + timedelta(days=4 * 365)
    response = client.post(
        INSPECTION_NEW, inspection_form(enterprise_x, day=today().isoformat(), deadline=deadline.isoformat())
    )
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.date, inspection.rectification_deadline) == (today(), deadline)


@pytest.mark.parametrize(
    ("field", "day", "deadline"),
    [
        ("date", date(1, 1, 1), None),
        ("date", date(1999, 12, 31), None),
        ("rectification_deadline", date(2024, 6, 3), date(1, 1, 1)),
        ("rectification_deadline", date(2024, 6, 3), date(9999, 12, 31)),
    ],
)
def test_the_inspection_service_refuses_what_no_edge_checked(officer_a, enterprise_x, field, day, deadline):
    before = table_counts()
    with pytest.raises(RuleViolation) as refused:
        inspection_services.record_inspection(
            actor=officer_a,
            enterprise=enterprise_x,
            date=day,
            kind="site_visit",
            findings="Drums stored outside the bunded area.",
            required_rectification="Move the drums inside.",
            rectification_deadline=deadline,
        )
    assert refused.value.code == "out_of_window"
    assert list(refused.value.fields) == [field]
    assert table_counts() == before


@pytest.mark.parametrize("day", ["tomorrow", "9999-12-31"])
def test_an_inspection_after_today_is_refused_as_in_the_future(officer_a, enterprise_x, day):
    """Stricter than EVENT's few minutes of clock skew: the visit has happened, by today."""
    value = today() + timedelta(days=1) if day == "tomorrow" else date.fromisoformat(day)
    with pytest.raises(RuleViolation) as refused:
        inspection_services.record_inspection(
            actor=officer_a, enterprise=enterprise_x, date=value, kind="site_visit", findings="x"
        )
    assert refused.value.code == "inspection_in_future"
    assert refused.value.fields == {"date": [NOT_AFTER_TODAY]}
    assert not Inspection.objects.exists()


# --- monthly reports: the months the platform keeps ------------------------------------------------


@pytest.mark.parametrize("month", BAD_MONTHS)
def test_starting_a_report_refuses_a_month_outside_the_window(client, preparer_x, enterprise_x, month):
    client.force_login(preparer_x)
    before = table_counts()
    response = client.post(REPORT_START, {"enterprise": enterprise_x.pk, "period": month})
    assert response.status_code == 302 and response["Location"] == reverse("reporting:report_list")
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any(message.startswith(refusal_for(month)) for message in shown), shown
    assert table_counts() == before


def test_starting_a_report_takes_last_month(client, preparer_x, enterprise_x):
    client.force_login(preparer_x)
    period = last_period()
    response = client.post(REPORT_START, {"enterprise": enterprise_x.pk, "period": str(period)})
    report = MonthlyReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reporting:report_detail", args=[report.pk])
    assert report.period == period


@pytest.mark.parametrize("year", [1, 9999])
def test_the_report_api_refuses_a_year_outside_the_window(erp_x, enterprise_x, year):
    before = table_counts()
    answer = erp_x.post(REPORTS_API, {"enterprise": enterprise_x.pk, "year": year, "month": 1})
    assert answer.status_code == 400
    assert "year" in error_of(answer)["fields"]
    assert table_counts() == before


def test_the_report_api_takes_last_month(erp_x, enterprise_x):
    period = last_period()
    answer = erp_x.post(REPORTS_API, {"enterprise": enterprise_x.pk, "year": period.year, "month": period.month})
    assert answer.status_code == 201, answer.json()
    assert answer.json()["period"] == str(period)


@pytest.mark.parametrize(("year", "month"), [(1, 1), (1999, 12), (9999, 12)])
def test_the_report_service_refuses_what_no_edge_checked(preparer_x, enterprise_x, year, month):
    before = table_counts()
    with pytest.raises(RuleViolation) as refused:
        report_services.create_monthly_report(actor=preparer_x, enterprise=enterprise_x, year=year, month=month)
    assert refused.value.code == "out_of_window"
    assert refused.value.fields["month"][0].startswith(refusal_for(str(year)))
    assert table_counts() == before


@pytest.mark.parametrize("year", [0, 10000])
def test_a_year_no_calendar_has_is_refused_not_a_crash(preparer_x, enterprise_x, year):
    with pytest.raises(RuleViolation) as refused:
        report_services.create_monthly_report(actor=preparer_x, enterprise=enterprise_x, year=year, month=1)
    assert refused.value.code == "invalid_period"
    assert not MonthlyReport.objects.exists()


# --- recomputes: months that have begun, from the platform's first --------------------------------


@pytest.mark.parametrize("month", BAD_MONTHS)
def test_the_recompute_form_refuses_a_month_outside_the_window(client, officer_a, park_a, month):
    client.force_login(officer_a)
    before = table_counts()
    response = client.post(RECOMPUTE, {"park": park_a.pk, "period": month})
    assert response.status_code == 400
    assert response.context["form"].errors["period"]
    assert table_counts() == before


def test_the_recompute_form_takes_this_month(client, officer_a, park_a):
    client.force_login(officer_a)
    response = client.post(RECOMPUTE, {"park": park_a.pk, "period": str(Period.containing())})
    assert response.status_code == 302
