"""The enterprise page: the registry's facts beside stock with ages, manifests, reports, warnings and
inspections; tenancy, the officers' decisions the workflow offers, and a constant number of queries."""

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import Enterprise, EnterpriseStatus
from reporting.models import Warning
from reporting.models.thresholds import ThresholdKey, WarningThreshold
from reporting.services.inspections import record_inspection
from tests import factories as f
from tests.fixtures.reports import make_report
from tests.transfers.factories import draft, generate
from transfers.models import LedgerEntry, Manifest
from wasteparks.periods import Period


def page(enterprise) -> str:
    return reverse("reporting:enterprise_detail", args=[enterprise.pk])


def _stored_for(days: int, *, preparer, store, code: str = "900-249-08", quantity: str = "100") -> LedgerEntry:
    return generate(actor=preparer, facility=store, code=code, quantity=quantity, hours_ago=days * 24)


def _enriched(enterprise_x, store, preparer_x, carrier_c, receiver_r, manifests: int, reports: int):
    """Stock at X (one hazardous batch a year old), `manifests` drafts from X and `reports` reports."""
    _stored_for(350, preparer=preparer_x, store=store)
    sludge = enterprise_x.facilities.filter(name="X sludge yard").first() or f.FacilityFactory(
        enterprise=enterprise_x, name="X sludge yard", capacity_t=500
    )
    _stored_for(400, preparer=preparer_x, store=sludge, code="SW07", quantity="50")
    for _ in range(manifests):
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=store)
    period = Period.containing(timezone.now())
    filer = f.UserFactory()
    for _ in range(reports):
        period = period.previous()
        if not enterprise_x.monthly_reports.filter(year=period.year, month=period.month).exists():
            make_report(enterprise=enterprise_x, period=period, status="accepted", user=filer)
    Warning.objects.create(
        rule="storage_age",
        severity="critical",
        park=enterprise_x.park,
        enterprise=enterprise_x,
        message_zh="危废贮存接近一年",
        message_en="Hazardous waste stored for almost a year",
        dedup_key=f"storage_age:{enterprise_x.pk}:{reports}",
        raised_at=timezone.now(),
    )


def test_the_page_needs_a_login(client, enterprise_x):
    response = client.get(page(enterprise_x))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.usefixtures("parties")
def test_the_enterprise_page_shows_stock_ages_manifests_reports_and_warnings(
    client,
    officer_a,
    enterprise_x,
    preparer_x,
    carrier_c,
    receiver_r,
    x_store,
):
    _enriched(enterprise_x, x_store, preparer_x, carrier_c, receiver_r, manifests=2, reports=14)
    client.force_login(officer_a)
    response = client.get(page(enterprise_x))
    html = response.content.decode()
    too_old = [balance.waste_code.code for balance in response.context["stock"] if balance.too_old]
    assert too_old == ["900-249-08"]  # the general waste is older, but only hazardous waste has the one-year limit
    assert html.count('data-testid="stock-too-old"') == 1
    assert len(response.context["manifests"]) == 2
    assert reverse("transfers:manifest_detail", args=[response.context["manifests"][0].pk]) in html
    assert len(response.context["reports"]) == 12
    assert [w.message for w in response.context["warnings"]] == ["Hazardous waste stored for almost a year"]
    assert reverse("reporting:warning_detail", args=[response.context["warnings"][0].pk]) in html
    # Everything that was there stays: facilities, permits, the registration history, officer actions.
    assert response.context["can_decide"] is True
    assert "X hazardous waste store" in html and "Registration history" in html


@pytest.mark.parametrize("notice_days, too_old", [(335, True), (349, True), (351, False)])
@pytest.mark.usefixtures("parties")
def test_stock_is_too_old_from_the_storage_warnings_notice_threshold(
    client, settings, officer_a, enterprise_x, preparer_x, x_store, notice_days, too_old
):
    # One threshold for the page and the STORAGE_OVER_LIMIT rule: days, not "11 months".
    settings.WARNING_STORAGE_NOTICE_DAYS = notice_days
    _stored_for(350, preparer=preparer_x, store=x_store)
    client.force_login(officer_a)
    response = client.get(page(enterprise_x))
    assert [balance.too_old for balance in response.context["stock"]] == [too_old]
    assert (f"hazardous, over {notice_days} days" in response.content.decode()) is too_old


@pytest.mark.usefixtures("parties")
def test_a_parks_own_storage_notice_holds_on_its_enterprise_pages(client, officer_a, enterprise_x, preparer_x, x_store):
    WarningThreshold.objects.create(key=ThresholdKey.STORAGE_NOTICE_DAYS, value=360, park=enterprise_x.park)
    _stored_for(350, preparer=preparer_x, store=x_store)
    client.force_login(officer_a)
    response = client.get(page(enterprise_x))
    assert [balance.too_old for balance in response.context["stock"]] == [False]
    assert response.context["storage_notice_days"] == 360


@pytest.mark.usefixtures("parties")
def test_the_receiver_sees_the_manifests_it_receives(
    client, clerk_r, enterprise_x, receiver_r, preparer_x, carrier_c, x_store
):
    manifest = draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    client.force_login(clerk_r)
    response = client.get(page(receiver_r))
    assert list(response.context["manifests"]) == [manifest]


@pytest.mark.parametrize("persona", ["officer_a", "provincial", "clerk_r", "superuser"])
@pytest.mark.usefixtures("parties")
def test_the_enterprise_page_lists_exactly_the_manifests_its_viewer_may_see(
    client, request, persona, enterprise_x, enterprise_y, receiver_r, preparer_x, carrier_c, x_store
):
    for _ in range(2):
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(page(receiver_r))
    shown = {manifest.pk for manifest in response.context["manifests"]}
    visible = Manifest.objects.visible_to(user).involving(receiver_r.pk)
    assert shown and shown == set(visible.values_list("pk", flat=True))
    # The page of an enterprise the viewer may not see is not found, manifests and all.
    assert client.get(page(enterprise_y)).status_code == (200 if persona in ("provincial", "superuser") else 404)


@pytest.mark.parametrize("persona", ["officer_b", "preparer_y", "driver_c"])
def test_the_page_of_another_park_or_enterprise_answers_404(client, request, persona, enterprise_x):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(page(enterprise_x)).status_code == 404


@pytest.mark.parametrize("size", [(1, 1), (10, 12)])
@pytest.mark.usefixtures("parties")
def test_the_enterprise_page_runs_a_constant_number_of_queries(
    client,
    officer_a,
    enterprise_x,
    preparer_x,
    carrier_c,
    receiver_r,
    size,
    django_assert_max_num_queries,
    x_store,
):
    _enriched(enterprise_x, x_store, preparer_x, carrier_c, receiver_r, manifests=size[0], reports=size[1])
    client.force_login(officer_a)
    with django_assert_max_num_queries(20):
        response = client.get(page(enterprise_x))
    assert response.status_code == 200


@pytest.mark.usefixtures("parties")
def test_the_enterprise_page_query_count_does_not_grow(
    settings,
    client,
    officer_a,
    enterprise_x,
    preparer_x,
    carrier_c,
    receiver_r,
    x_store,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DASHBOARD_AGGREGATES_CACHE_SECONDS = 0  # the CO2e figures are read on both views
    client.force_login(officer_a)
    _enriched(enterprise_x, x_store, preparer_x, carrier_c, receiver_r, manifests=1, reports=1)
    with CaptureQueriesContext(connection) as few:
        client.get(page(enterprise_x))
    _enriched(enterprise_x, x_store, preparer_x, carrier_c, receiver_r, manifests=8, reports=12)
    with CaptureQueriesContext(connection) as many:
        client.get(page(enterprise_x))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_inspections_section_lists_the_enterprise_inspections(client, officer_a, enterprise_x):
    client.force_login(officer_a)
    response = client.get(page(enterprise_x))
    assert response.context["inspections"] == []
    assert 'data-testid="enterprise-inspections"' in response.content.decode()
    inspection = record_inspection(
        actor=officer_a, enterprise=enterprise_x, date=timezone.localdate(), kind="site_visit", findings="Drums"
    )
    response = client.get(page(enterprise_x))
    assert response.context["inspections"] == [inspection]
    assert reverse("reporting:inspection_detail", args=[inspection.pk]) in response.content.decode()


@pytest.mark.parametrize(
    "status, offered",
    [
        (EnterpriseStatus.PENDING, ["verify", "reject"]),
        (EnterpriseStatus.ACTIVE, ["suspend", "close"]),
        (EnterpriseStatus.SUSPENDED, ["reinstate", "close"]),
        (EnterpriseStatus.REJECTED, []),
        (EnterpriseStatus.CLOSED, []),
    ],
)
def test_the_officer_is_offered_the_decisions_the_workflow_allows(client, officer_a, enterprise_x, status, offered):
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status=status)
    client.force_login(officer_a)
    response = client.get(page(enterprise_x))
    assert [decision["action"] for decision in response.context["decisions"]] == offered
    html = response.content.decode()
    for action in offered:
        assert reverse("registry:enterprise_decide", args=[enterprise_x.pk, action]) in html
    assert ("No action is open in this status." in html) is (not offered)
