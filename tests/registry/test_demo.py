"""The demo park's organisations load deterministically, twice without change, with valid data and working
logins (its two years of activity: tests/reporting/test_demo_park.py)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.demo import DEMO_PASSWORD, MAIN_PARK, PERSONAS, load_demo
from registry.models import Enterprise, Park, Permit, User
from registry.rules import credit_code_problem


@pytest.fixture
def demo(catalogue):
    load_demo()


def test_the_main_park_has_56_valid_enterprises(demo):
    park = Park.objects.get(name=MAIN_PARK)
    assert park.division.code == "5206" and park.utilization_target_pct == 80
    enterprises = Enterprise.objects.filter(park=park)
    assert enterprises.count() == 56
    for enterprise in Enterprise.objects.all():
        enterprise.full_clean()
        assert credit_code_problem(enterprise.credit_code) is None


def test_the_realistic_kinds_are_there(demo):
    names = set(Enterprise.objects.values_list("name", flat=True))
    assert {
        "贵州大龙锰渣综合利用有限公司",
        "贵州大龙锂电池回收科技有限公司",
        "铜仁大龙水泥有限公司",
        "铜仁市人民医院大龙院区",
        "贵州铜仁危险废物集中处置中心",
        "铜仁安达危险货物运输有限公司",
    } <= names
    disposer = Enterprise.objects.get(name="贵州铜仁危险废物集中处置中心")
    assert disposer.is_receiver and disposer.permits.filter(kind="hw_operating").get().lines.count() >= 10
    assert Enterprise.objects.get(name="铜仁安达危险货物运输有限公司").permits.get().kind == "road_transport"


def test_loading_twice_changes_nothing(demo):
    before = (
        Enterprise.objects.count(),
        Permit.objects.count(),
        User.objects.count(),
        list(Enterprise.objects.order_by("pk").values_list("credit_code", "status")),
    )
    load_demo()
    after = (
        Enterprise.objects.count(),
        Permit.objects.count(),
        User.objects.count(),
        list(Enterprise.objects.order_by("pk").values_list("credit_code", "status")),
    )
    assert before == after


def test_every_persona_can_log_in(demo, client):
    for username, _, _ in PERSONAS:
        response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        client.post("/accounts/logout/")


def test_the_demo_refuses_to_run_without_debug(catalogue, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo")
