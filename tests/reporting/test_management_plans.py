"""The annual hazardous waste management plan (危险废物管理计划): drafted and submitted by the enterprise,
accepted or returned by its park's officer like a report, and watched by PLAN_EXCEEDED once the year's
generation of a code goes beyond the plan.

Personas: Enterprise X and its preparer, the officer of park A, the officer of park B, Y's preparer.
"""

from datetime import datetime

import pytest
from django.urls import reverse

from reporting.models import ManagementPlan, Warning
from reporting.services import plans as services
from reporting.warnings import RULES_BY_CODE, run_rules
from tests import factories as f
from tests.fixtures.reports import HW, SW, book, clock
from transfers.models import LedgerStage
from wasteparks.errors import NotPermitted, RuleViolation
from wasteparks.periods import local_date, zone

pytestmark = pytest.mark.django_db

YEAR = local_date().year
URL = "/api/v1/management-plans/"


def plan_body(enterprise, **extra):
    return {
        "enterprise": enterprise.pk,
        "year": YEAR,
        "lines": [
            {"waste_code": HW, "generation_t": "10", "storage_t": "2", "transfer_t": "8", "utilization_t": "8"},
            {"waste_code": SW, "generation_t": "100", "utilization_t": "90", "disposal_t": "10"},
        ],
        **extra,
    }


def test_the_enterprise_files_its_plan_and_the_officer_accepts_it(client, enterprise_x, preparer_x, officer_a):
    client.force_login(preparer_x)
    created = client.post(URL, plan_body(enterprise_x), content_type="application/json")
    assert created.status_code == 201, created.content
    plan = created.json()
    assert [line["waste_code"] for line in plan["lines"]] == [HW, SW]
    assert plan["deadline"] == f"{YEAR}-03-31" and plan["status"] == "draft"

    submitted = client.post(f"{URL}{plan['id']}/submit/", {}, content_type="application/json")
    assert submitted.json()["status"] == "submitted"
    assert client.post(f"{URL}{plan['id']}/accept/", {}, content_type="application/json").status_code == 403

    client.force_login(officer_a)
    returned = client.post(f"{URL}{plan['id']}/return/", {"comment": ""}, content_type="application/json")
    assert returned.status_code == 400
    accepted = client.post(f"{URL}{plan['id']}/accept/", {"comment": "ok"}, content_type="application/json")
    assert accepted.json()["status"] == "accepted"
    assert [step["action"] for step in accepted.json()["history"]] == ["create", "submit", "accept"]


def test_a_returned_plan_is_corrected_and_filed_again(enterprise_x, preparer_x, officer_a):
    plan = services.create_management_plan(
        actor=preparer_x,
        enterprise=enterprise_x,
        year=YEAR,
        lines=[services.PlanLineInput(waste_code=f.waste_code(HW), figures={"generation": 5})],
    )
    services.submit_management_plan(plan=plan, actor=preparer_x)
    services.return_management_plan(plan=plan, officer=officer_a, comment="HW49 is missing")
    services.replace_plan_lines(
        plan=plan,
        actor=preparer_x,
        lines=[
            services.PlanLineInput(waste_code=f.waste_code(HW), figures={"generation": 5}),
            services.PlanLineInput(waste_code=f.waste_code("900-041-49"), figures={"generation": 1}),
        ],
    )
    plan = services.submit_management_plan(plan=plan, actor=preparer_x)
    assert plan.status == "submitted" and plan.lines.count() == 2


def test_a_plan_filed_after_31_march_is_late(enterprise_x, preparer_x):
    plan = services.create_management_plan(
        actor=preparer_x,
        enterprise=enterprise_x,
        year=YEAR - 1,
        lines=[services.PlanLineInput(waste_code=f.waste_code(HW), figures={"generation": 5})],
    )
    with clock(datetime(YEAR - 1, 4, 1, 0, 30, tzinfo=zone())):
        plan = services.submit_management_plan(plan=plan, actor=preparer_x)
    assert plan.is_late is True


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [{"waste_code": HW, "generation_t": "-1"}],
        [{"waste_code": "999-999-99", "generation_t": "1"}],
        [{"waste_code": HW, "generation_t": "1"}, {"waste_code": HW, "generation_t": "2"}],
        [{"waste_code": HW, "generation_t": "1.00001"}],
    ],
)
def test_bad_plans_are_refused_and_nothing_is_written(client, enterprise_x, preparer_x, lines):
    client.force_login(preparer_x)
    response = client.post(URL, plan_body(enterprise_x, lines=lines), content_type="application/json")
    assert response.status_code == 400
    assert not ManagementPlan.objects.exists()


def test_another_park_or_enterprise_gets_404(client, enterprise_x, preparer_x, officer_b, preparer_y):
    plan = services.create_management_plan(
        actor=preparer_x,
        enterprise=enterprise_x,
        year=YEAR,
        lines=[services.PlanLineInput(waste_code=f.waste_code(HW), figures={"generation": 5})],
    )
    for outsider in (officer_b, preparer_y):
        client.force_login(outsider)
        assert client.get(f"{URL}{plan.pk}/").status_code == 404
        assert client.post(f"{URL}{plan.pk}/submit/", {}, content_type="application/json").status_code == 404
        assert client.get(URL).json()["results"] == []
        assert (
            client.post(URL, plan_body(enterprise_x, year=YEAR + 1), content_type="application/json").status_code == 400
        )
    with pytest.raises(NotPermitted):
        services.accept_management_plan(plan=plan, officer=officer_b)
    assert ManagementPlan.objects.count() == 1


def test_a_second_plan_for_the_same_year_is_refused(enterprise_x, preparer_x):
    line = [services.PlanLineInput(waste_code=f.waste_code(HW), figures={"generation": 5})]
    services.create_management_plan(actor=preparer_x, enterprise=enterprise_x, year=YEAR, lines=line)
    with pytest.raises(RuleViolation) as refused:
        services.create_management_plan(actor=preparer_x, enterprise=enterprise_x, year=YEAR, lines=line)
    assert refused.value.code == "duplicate_plan"


def test_the_plan_list_costs_the_same_whatever_its_length(
    client, enterprise_x, preparer_x, officer_a, django_assert_max_num_queries
):
    for year in range(YEAR - 5, YEAR + 1):
        services.create_management_plan(
            actor=preparer_x,
            enterprise=enterprise_x,
            year=year,
            lines=[services.PlanLineInput(waste_code=f.waste_code(HW), figures={"generation": 5})],
        )
    client.force_login(officer_a)
    with django_assert_max_num_queries(12):
        assert len(client.get(URL).json()["results"]) == 6


# --- PLAN_EXCEEDED ----------------------------------------------------------------------------------------


@pytest.fixture
def filed_plan(enterprise_x, preparer_x):
    plan = services.create_management_plan(
        actor=preparer_x,
        enterprise=enterprise_x,
        year=YEAR,
        lines=[services.PlanLineInput(waste_code=f.waste_code(HW), figures={"generation": 10})],
    )
    return plan


def generated(enterprise, tonnes, actor):
    store = f.FacilityFactory(enterprise=enterprise)
    book(
        actor=actor,
        facility=store,
        code=HW,
        stage=LedgerStage.GENERATED,
        quantity=tonnes,
        when=datetime(YEAR, 1, 1, 8, tzinfo=zone()),
    )


def scan():
    run_rules(rules=(RULES_BY_CODE["PLAN_EXCEEDED"],))
    return list(Warning.objects.live().filter(rule="PLAN_EXCEEDED"))


def test_generation_beyond_the_plan_and_its_tolerance_raises_a_warning(filed_plan, enterprise_x, preparer_x):
    generated(enterprise_x, "10.5", preparer_x)  # 5 % over: within the quantity tolerance
    assert scan() == []  # a draft plan is no commitment yet
    services.submit_management_plan(plan=filed_plan, actor=preparer_x)
    assert scan() == []
    generated(enterprise_x, "0.1", preparer_x)
    [warning] = scan()
    assert warning.enterprise == enterprise_x
    assert (warning.evidence["planned_generation_t"], warning.evidence["generated_t"]) == ("10", "10.6")
    assert HW in warning.message_zh and "管理计划" in warning.message_zh


# --- pages ------------------------------------------------------------------------------------------------


def test_the_preparer_starts_fills_and_submits_the_plan_on_its_pages_and_the_officer_accepts(
    client, enterprise_x, preparer_x, officer_a
):
    client.force_login(preparer_x)
    assert client.get(reverse("reporting:plan_list")).status_code == 200
    started = client.post(reverse("reporting:plan_start"), {"enterprise": enterprise_x.pk, "year": YEAR})
    plan = ManagementPlan.objects.get()
    assert started.url == reverse("reporting:plan_detail", args=[plan.pk])
    lines = {
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-waste_code": HW,
        "lines-0-generation_t": "12",
        "lines-0-utilization_t": "12",
        "lines-1-waste_code": "",
    }
    assert client.post(reverse("reporting:plan_detail", args=[plan.pk]), lines).status_code == 302
    assert client.post(reverse("reporting:plan_submit", args=[plan.pk]), {"comment": ""}).status_code == 302
    client.force_login(officer_a)
    page = client.get(reverse("reporting:plan_detail", args=[plan.pk])).content.decode()
    assert HW in page and 'action="/' in page
    assert client.post(reverse("reporting:plan_return", args=[plan.pk]), {"comment": ""}).status_code == 400
    assert client.post(reverse("reporting:plan_accept", args=[plan.pk]), {"comment": "ok"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "accepted" and plan.lines.get().generation_t == 12


def test_bad_lines_on_the_page_are_refused_and_nothing_is_saved(client, enterprise_x, preparer_x):
    plan = services.create_management_plan(actor=preparer_x, enterprise=enterprise_x, year=YEAR, lines=[])
    client.force_login(preparer_x)
    url = reverse("reporting:plan_detail", args=[plan.pk])
    for code, value in (("999-999-99", "1"), (HW, "-3"), (HW, "abc")):
        data = {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-waste_code": code,
            "lines-0-generation_t": value,
        }
        assert client.post(url, data).status_code == 400
    assert client.post(reverse("reporting:plan_submit", args=[plan.pk]), {"comment": ""}).status_code == 400
    assert not plan.lines.exists()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_plan_pages_of_another_park_or_enterprise_are_404(client, enterprise_x, preparer_x, officer_b, preparer_y):
    plan = services.create_management_plan(actor=preparer_x, enterprise=enterprise_x, year=YEAR, lines=[])
    for outsider in (officer_b, preparer_y):
        client.force_login(outsider)
        assert client.get(reverse("reporting:plan_detail", args=[plan.pk])).status_code == 404
        for name in ("plan_submit", "plan_accept", "plan_return"):
            assert client.post(reverse(f"reporting:{name}", args=[plan.pk]), {"comment": "x"}).status_code == 404
        listed = client.get(reverse("reporting:plan_list")).content.decode()
        assert reverse("reporting:plan_detail", args=[plan.pk]) not in listed
        client.post(reverse("reporting:plan_start"), {"enterprise": enterprise_x.pk, "year": YEAR + 1})
    assert ManagementPlan.objects.count() == 1
