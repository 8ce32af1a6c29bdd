"""/api/v1/monthly-reports/: enterprise software files its own reports; everyone reads what they may."""

import pytest
from django.urls import reverse

from registry.clients import create_api_client
from registry.models import ApiScope
from reporting.models import MonthlyReport, ReportStatus
from tests import factories as f
from tests.api.conftest import Caller, bearer, error_of, session_of
from tests.fixtures.reports import last_period, make_report
from wasteparks.periods import Period

pytestmark = pytest.mark.django_db

LIST = reverse("api:monthly-report-list")


@pytest.fixture
def erp_x(enterprise_x):
    return bearer(create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)[1])


@pytest.fixture
def erp_y(enterprise_y):
    return bearer(create_api_client(name="Y ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_y)[1])


@pytest.fixture
def provincial_platform(catalogue):
    return bearer(create_api_client(name="Provincial platform", scope=ApiScope.READ_ALL)[1])


def detail(report, suffix: str = "") -> str:
    url = reverse("api:monthly-report-detail", args=[report.pk])
    return url + suffix


def line_of(body: dict, code: str) -> dict:
    return next(line for line in body["lines"] if line["waste_code"] == code)


def test_enterprise_software_files_its_report_end_to_end(scripted_month, erp_x, enterprise_x):
    period = scripted_month["period"]
    created = erp_x.post(LIST, {"enterprise": enterprise_x.pk, "year": period.year, "month": period.month})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["revision"], body["period"]) == ("draft", 1, str(period))
    hw = line_of(body, "900-249-08")
    assert (hw["opening_stock_t"], hw["shipped_for_utilization_t"], hw["closing_stock_t"]) == (
        "40.0000",
        "16.0000",
        "40.2500",
    )
    assert hw["balances"] is True
    report = MonthlyReport.objects.get(pk=body["id"])

    no_reason = erp_x.patch(detail(report), {"lines": [{"waste_code": "900-249-08", "generated_t": "26"}]})
    assert no_reason.status_code == 400
    assert error_of(no_reason)["code"] == "adjustment_reason_required"

    adjusted = erp_x.patch(
        detail(report),
        {"lines": [{"waste_code": "900-249-08", "generated_t": "26", "adjustment_reason": "Recount"}]},
    )
    assert adjusted.status_code == 200
    hw = line_of(adjusted.json(), "900-249-08")
    assert (hw["generated_t"], hw["generated_prefill_t"], hw["balances"]) == ("26.0000", "25.5000", False)

    unbalanced = erp_x.post(detail(report, "submit/"), {})
    assert unbalanced.status_code == 400
    error = error_of(unbalanced)
    assert error["code"] == "report_unbalanced"
    assert list(error["fields"]) == ["lines[900-249-08]"]
    assert "= 40.7500 t, but the closing stock is 40.2500 t" in error["message"]

    erp_x.patch(
        detail(report),
        {"lines": [{"waste_code": "900-249-08", "closing_stock_t": "40.75", "adjustment_reason": "Recount"}]},
    )
    submitted = erp_x.post(detail(report, "submit/"), {"comment": "From our ERP"})
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert [event["action"] for event in submitted.json()["history"]] == ["create", "adjust", "adjust", "submit"]

    locked = erp_x.patch(
        detail(report), {"lines": [{"waste_code": "SW07", "generated_t": "1", "adjustment_reason": "late"}]}
    )
    assert locked.status_code == 409
    assert error_of(locked)["code"] == "report_locked"
    assert erp_x.post(detail(report, "prefill/"), {}).status_code == 409
    report.refresh_from_db()
    assert report.current_revision.lines.get(waste_code__code="SW07").generated_t == 100


def test_prefill_action_reads_the_ledger_again(report_x, erp_x):
    answer = erp_x.post(detail(report_x, "prefill/"), {})
    assert answer.status_code == 200
    assert answer.json()["history"][-1]["action"] == "prefill"


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"month": 13}, "invalid", "month"),
        ({"year": 1999}, "invalid", "year"),
        ({"extra": 1}, "invalid", "extra"),
    ],
)
def test_bad_create_input_is_400_and_creates_nothing(erp_x, enterprise_x, payload, code, field):
    period = last_period()
    body = {"enterprise": enterprise_x.pk, "year": period.year, "month": period.month, **payload}
    answer = erp_x.post(LIST, body)
    assert answer.status_code == 400
    assert field in error_of(answer)["fields"]
    assert not MonthlyReport.objects.exists()


def test_a_future_or_duplicate_report_is_refused(erp_x, enterprise_x):
    current = Period.containing(last_period().end)
    future = erp_x.post(LIST, {"enterprise": enterprise_x.pk, "year": current.year, "month": current.month})
    assert future.status_code == 400
    assert error_of(future)["code"] == "period_not_ended"
    period = last_period()
    body = {"enterprise": enterprise_x.pk, "year": period.year, "month": period.month}
    assert erp_x.post(LIST, body).status_code == 201
    duplicate = erp_x.post(LIST, body)
    assert duplicate.status_code == 400
    assert error_of(duplicate)["code"] == "duplicate_report"
    assert MonthlyReport.objects.count() == 1


def test_negative_figures_are_refused_at_the_edge(report_x, erp_x):
    answer = erp_x.patch(
        detail(report_x), {"lines": [{"waste_code": "SW07", "generated_t": "-1", "adjustment_reason": "r"}]}
    )
    assert answer.status_code == 400
    assert error_of(answer)["fields"]
    report_x.refresh_from_db()
    assert report_x.current_revision.lines.get(waste_code__code="SW07").generated_t == 100


def test_no_one_files_for_another_enterprise(erp_y, enterprise_x, officer_a, provincial_platform):
    period = last_period()
    body = {"enterprise": enterprise_x.pk, "year": period.year, "month": period.month}
    assert erp_y.post(LIST, body).status_code == 400  # enterprise X "does not exist" for Y
    assert session_of(officer_a, csrf=False).post(LIST, body).status_code == 403
    assert provincial_platform.post(LIST, body).status_code == 403
    assert not MonthlyReport.objects.exists()


# --- tenancy --------------------------------------------------------------------------------------


@pytest.fixture
def two_reports(enterprise_x, enterprise_y):
    period = last_period()
    return {
        "x": make_report(enterprise=enterprise_x, period=period, lines={"900-249-08": {"generated": "1"}}),
        "y": make_report(enterprise=enterprise_y, period=period, lines={"SW07": {"generated": "2"}}),
    }


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("officer_a", {"x"}),
        ("officer_b", {"y"}),
        ("provincial", {"x", "y"}),
        ("preparer_x", {"x"}),
        ("admin_x", {"x"}),
        ("viewer_x", {"x"}),
        ("preparer_y", {"y"}),
        ("driver_c", set()),
        ("clerk_r", set()),
    ],
)
def test_each_persona_sees_only_its_reports(two_reports, persona, sees, request):
    caller = session_of(request.getfixturevalue(persona))
    answer = caller.get(LIST)
    assert answer.status_code == 200
    ids = {item["id"] for item in answer.json()["results"]}
    assert ids == {two_reports[key].pk for key in sees}
    for key, report in two_reports.items():
        assert caller.get(detail(report)).status_code == (200 if key in sees else 404)


def test_machine_clients_see_their_scope(two_reports, erp_x, provincial_platform):
    assert {item["id"] for item in erp_x.get(LIST).json()["results"]} == {two_reports["x"].pk}
    assert {item["id"] for item in provincial_platform.get(LIST).json()["results"]} == {
        two_reports["x"].pk,
        two_reports["y"].pk,
    }
    assert erp_x.get(detail(two_reports["y"])).status_code == 404
    assert Caller().get(LIST).status_code == 401


def test_filters(two_reports, provincial_platform, park_a, enterprise_y):
    def ids(query: str) -> set[int]:
        answer = provincial_platform.get(f"{LIST}?{query}")
        assert answer.status_code == 200, answer.json()
        return {item["id"] for item in answer.json()["results"]}

    period = last_period()
    x, y = two_reports["x"].pk, two_reports["y"].pk
    assert ids(f"park={park_a.pk}") == {x}
    assert ids(f"enterprise={enterprise_y.pk}") == {y}
    assert ids(f"year={period.year}&month={period.month}") == {x, y}
    assert ids(f"year={period.year - 1}") == set()
    assert ids("status=draft") == {x, y}
    assert ids("status=accepted") == set()
    assert ids("updated_after=2000-01-01T00:00:00%2B08:00") == {x, y}
    assert provincial_platform.get(f"{LIST}?status=bogus").status_code == 400


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_constant_number_of_queries(
    catalogue, provincial_platform, django_assert_max_num_queries, count
):
    park = f.ParkFactory()
    user = f.UserFactory(username="filer")
    period = last_period()
    for _ in range(count):
        make_report(
            enterprise=f.EnterpriseFactory(park=park),
            period=period,
            status=ReportStatus.SUBMITTED,
            lines={"900-249-08": {"generated": "1"}, "SW07": {"generated": "2"}},
            user=user,
        )
    provincial_platform.get(LIST)  # the first call of a client records its last use
    with django_assert_max_num_queries(10):
        answer = provincial_platform.get(f"{LIST}?page_size=100")
    assert len(answer.json()["results"]) == count
    assert all(len(item["lines"]) == 2 for item in answer.json()["results"])


# --- annual summary -------------------------------------------------------------------------------


def test_the_annual_summary_adds_up_the_accepted_months(enterprise_x, erp_x, officer_b):
    make_report(
        enterprise=enterprise_x,
        period=Period(2024, 1),
        status="accepted",
        lines={"900-249-08": {"opening_stock": "5", "generated": "10", "shipped_for_disposal": "3"}},
    )
    make_report(
        enterprise=enterprise_x,
        period=Period(2024, 2),
        status="accepted",
        lines={
            "900-249-08": {"opening_stock": "12", "generated": "4.5", "utilized_in_house": "1"},
            "SW07": {"generated": "7"},
        },
    )
    make_report(  # not accepted: not counted
        enterprise=enterprise_x, period=Period(2024, 3), status="submitted", lines={"900-249-08": {"generated": "100"}}
    )
    answer = erp_x.get(f"{LIST}annual-summary/?enterprise={enterprise_x.pk}&year=2024")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["next"] is None
    hw, sw = body["results"]
    assert hw == {
        "waste_code": "900-249-08",
        "waste_class": "hazardous",
        "months": 2,
        "opening_stock_t": "5.0000",
        "generated_t": "14.5000",
        "received_t": "0.0000",
        "utilized_in_house_t": "1.0000",
        "disposed_in_house_t": "0.0000",
        "shipped_for_utilization_t": "0.0000",
        "shipped_for_disposal_t": "3.0000",
        "closing_stock_t": "15.5000",
    }
    assert (sw["waste_code"], sw["generated_t"], sw["months"]) == ("SW07", "7.0000", 1)
    assert session_of(officer_b).get(f"{LIST}annual-summary/?enterprise={enterprise_x.pk}&year=2024").status_code == 404
    assert erp_x.get(f"{LIST}annual-summary/?enterprise={enterprise_x.pk}&year=abc").status_code == 400
