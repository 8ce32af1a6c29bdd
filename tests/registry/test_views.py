"""Registry pages: the register, applying, and officers' decisions; tenancy on every page."""

import pytest
from django.urls import reverse

from registry.models import Enterprise, EnterpriseStatus
from tests import factories as f

# Facilities, the carrier's road permit and stock at X, shared with the transfer tests.
from tests.transfers.conftest import parties, r_store, road_permit, x_store  # noqa: F401

REAL_CODE = "914403001922038216"


def application(park, **overrides):
    data = {
        "park": park.pk,
        "credit_code": REAL_CODE,
        "name": "铜仁大龙新材料有限公司",
        "industry_code": "C3985",
        "contact_name": "王强",
        "contact_phone": "0856-1234567",
        "contact_email": "",
        "address": "大龙开发区",
        "is_generator": "on",
        "facility-TOTAL_FORMS": "1",
        "facility-INITIAL_FORMS": "0",
        "facility-0-name": "危废暂存间",
        "facility-0-kind": "warehouse",
        "facility-0-capacity_t": "20",
    }
    data.update(overrides)
    return data


def test_pages_need_a_login(client, enterprise_x):
    for url in [
        reverse("registry:enterprise_list"),
        reverse("registry:enterprise_detail", args=[enterprise_x.pk]),
        reverse("registry:enterprise_apply"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_applicant_registers_through_the_form(client, park_a):
    client.force_login(f.UserFactory(username="clerk"))
    response = client.post(
        reverse("registry:enterprise_apply"), application(park_a, credit_code=" 9144 0300 1922 0382 16 ")
    )
    enterprise = Enterprise.objects.get(credit_code=REAL_CODE)
    assert response.status_code == 302
    assert enterprise.status == EnterpriseStatus.PENDING
    assert enterprise.facilities.get().name == "危废暂存间"


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"credit_code": "914403001922038217"}, "credit_code", "check character"),
        ({"credit_code": "91440300192203821O"}, "credit_code", "O"),
        ({"credit_code": "9144030019"}, "credit_code", "18"),
        ({"facility-0-capacity_t": "-5"}, None, "0"),
        ({"is_generator": ""}, "is_generator", "at least one role"),
    ],
)
def test_bad_input_shows_field_messages_keeps_the_input_and_saves_nothing(client, park_a, overrides, field, message):
    client.force_login(f.UserFactory(username="clerk"))
    response = client.post(reverse("registry:enterprise_apply"), application(park_a, **overrides))
    assert response.status_code == 200
    form = response.context["form"]
    if field:
        assert message in str(form.errors[field])
    else:
        assert response.context["facilities"].errors[0]["capacity_t"]
    assert "铜仁大龙新材料有限公司" in response.content.decode()
    assert not Enterprise.objects.exists()


def test_a_duplicate_credit_code_is_a_field_message(client, park_a, enterprise_x):
    client.force_login(f.UserFactory(username="clerk"))
    response = client.post(
        reverse("registry:enterprise_apply"), application(park_a, credit_code=enterprise_x.credit_code)
    )
    assert "already registered" in str(response.context["form"].errors["credit_code"])
    assert Enterprise.objects.count() == 1


def test_officer_verifies_from_the_detail_page(client, officer_a, park_a):
    pending = f.EnterpriseFactory(park=park_a, status=EnterpriseStatus.PENDING)
    client.force_login(officer_a)
    page = client.get(reverse("registry:enterprise_detail", args=[pending.pk]))
    assert page.context["can_decide"] is True
    client.post(reverse("registry:enterprise_decide", args=[pending.pk, "verify"]))
    pending.refresh_from_db()
    assert pending.status == EnterpriseStatus.ACTIVE


def test_rejecting_without_a_reason_is_refused_with_a_message(client, officer_a, park_a):
    pending = f.EnterpriseFactory(park=park_a, status=EnterpriseStatus.PENDING)
    client.force_login(officer_a)
    response = client.post(
        reverse("registry:enterprise_decide", args=[pending.pk, "reject"]), {"reason": ""}, follow=True
    )
    assert "reason" in response.content.decode().lower() or "原因" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == EnterpriseStatus.PENDING


def test_an_enterprise_user_cannot_decide_on_its_own_enterprise(client, admin_x, enterprise_x):
    client.force_login(admin_x)
    Enterprise.objects.filter(pk=enterprise_x.pk).update(status=EnterpriseStatus.PENDING)
    assert client.get(reverse("registry:enterprise_detail", args=[enterprise_x.pk])).context["can_decide"] is False
    client.post(reverse("registry:enterprise_decide", args=[enterprise_x.pk, "verify"]))
    assert Enterprise.objects.get(pk=enterprise_x.pk).status == EnterpriseStatus.PENDING


@pytest.mark.parametrize("persona", ["officer_b", "preparer_y", "driver_c"])
def test_pages_of_another_park_or_enterprise_answer_404(client, request, persona, enterprise_x):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("registry:enterprise_detail", args=[enterprise_x.pk])).status_code == 404
    response = client.post(reverse("registry:enterprise_decide", args=[enterprise_x.pk, "suspend"]), {"reason": "x"})
    assert response.status_code == 404
    assert Enterprise.objects.get(pk=enterprise_x.pk).status == EnterpriseStatus.ACTIVE


def test_an_unknown_action_is_404(client, officer_a, enterprise_x):
    client.force_login(officer_a)
    assert client.post(reverse("registry:enterprise_decide", args=[enterprise_x.pk, "delete"])).status_code == 404


@pytest.mark.parametrize(
    "persona, expected",
    [("officer_a", "park_a"), ("officer_b", "park_b"), ("preparer_x", "own"), ("provincial", "all")],
)
def test_the_list_shows_what_each_persona_may_see(
    client, request, persona, expected, enterprise_x, enterprise_y, park_a, park_b
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    shown = {e.pk for e in client.get(reverse("registry:enterprise_list")).context["page"]}
    wanted = {
        "park_a": set(Enterprise.objects.filter(park=park_a).values_list("pk", flat=True)),
        "park_b": set(Enterprise.objects.filter(park=park_b).values_list("pk", flat=True)),
        "own": {enterprise_x.pk},
        "all": set(Enterprise.objects.values_list("pk", flat=True)),
    }[expected]
    assert shown == wanted


def test_the_list_runs_a_constant_number_of_queries(client, officer_a, park_a, django_assert_max_num_queries):
    client.force_login(officer_a)
    f.EnterpriseFactory.create_batch(3, park=park_a)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("registry:enterprise_list"))
    f.EnterpriseFactory.create_batch(40, park=park_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("registry:enterprise_list"))


def test_search_and_status_filter(client, officer_a, park_a):
    f.EnterpriseFactory(park=park_a, name="锰渣综合利用", status=EnterpriseStatus.PENDING)
    f.EnterpriseFactory(park=park_a, name="水泥厂")
    client.force_login(officer_a)
    page = client.get(reverse("registry:enterprise_list"), {"q": "锰渣", "status": "pending"}).context["page"]
    assert [e.name for e in page] == ["锰渣综合利用"]


# --- the enterprise page: stock with ages, manifests, reports, warnings -----------------------------


def _enriched(enterprise_x, store, preparer_x, carrier_c, receiver_r, manifests: int, reports: int):
    """Stock at X (one hazardous batch a year old), `manifests` drafts from X and `reports` reports."""
    from datetime import timedelta

    from django.utils import timezone

    from reporting.models import Warning
    from tests.reporting.conftest_reports import make_report
    from tests.transfers.factories import draft, generate
    from transfers.models import LedgerEntry

    old = generate(actor=preparer_x, facility=store, code="900-249-08", quantity="100")
    LedgerEntry.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=350))
    sludge = enterprise_x.facilities.filter(name="X sludge yard").first() or f.FacilityFactory(
        enterprise=enterprise_x, name="X sludge yard", capacity_t=500
    )
    old_general = generate(actor=preparer_x, facility=sludge, code="SW07", quantity="50")
    LedgerEntry.objects.filter(pk=old_general.pk).update(occurred_at=timezone.now() - timedelta(days=400))
    for _ in range(manifests):
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=store)
    from reporting.rules.reports import Period

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


@pytest.mark.usefixtures("parties")
def test_the_enterprise_page_shows_stock_ages_manifests_reports_and_warnings(
    client,
    officer_a,
    enterprise_x,
    preparer_x,
    carrier_c,
    receiver_r,
    request,
):
    store = request.getfixturevalue("x_store")
    _enriched(enterprise_x, store, preparer_x, carrier_c, receiver_r, manifests=2, reports=14)
    client.force_login(officer_a)
    response = client.get(reverse("registry:enterprise_detail", args=[enterprise_x.pk]))
    html = response.content.decode()
    too_old = [balance.waste_code.code for balance in response.context["stock"] if balance.too_old]
    assert too_old == ["900-249-08"]  # the general waste is older, but only hazardous waste has the one-year limit
    assert html.count('data-testid="stock-too-old"') == 1
    assert len(response.context["manifests"]) == 2
    assert reverse("transfers:manifest_detail", args=[response.context["manifests"][0].pk]) in html
    assert len(response.context["reports"]) == 12
    assert [w.message for w in response.context["warnings"]] == ["Hazardous waste stored for almost a year"]
    # Everything that was there stays: facilities, permits, the registration history, officer actions.
    assert response.context["can_decide"] is True
    assert "X hazardous waste store" in html and "Registration history" in html


@pytest.mark.usefixtures("parties")
def test_the_receiver_sees_the_manifests_it_receives(
    client,
    clerk_r,
    enterprise_x,
    receiver_r,
    preparer_x,
    carrier_c,
    request,
):
    store = request.getfixturevalue("x_store")
    from tests.transfers.factories import draft

    manifest = draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=store)
    client.force_login(clerk_r)
    response = client.get(reverse("registry:enterprise_detail", args=[receiver_r.pk]))
    assert list(response.context["manifests"]) == [manifest]


@pytest.mark.parametrize("persona", ["officer_a", "provincial", "clerk_r", "superuser"])
@pytest.mark.usefixtures("parties")
def test_the_enterprise_page_lists_exactly_the_manifests_its_viewer_may_see(
    client, request, persona, enterprise_x, enterprise_y, receiver_r, preparer_x, carrier_c
):
    from tests.transfers.factories import draft
    from transfers.models import Manifest

    store = request.getfixturevalue("x_store")
    for _ in range(2):
        draft(actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=store)
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("registry:enterprise_detail", args=[receiver_r.pk]))
    shown = {manifest.pk for manifest in response.context["manifests"]}
    visible = Manifest.objects.visible_to(user).involving(receiver_r.pk)
    assert shown and shown == set(visible.values_list("pk", flat=True))
    # The page of an enterprise the viewer may not see is not found, manifests and all.
    assert client.get(reverse("registry:enterprise_detail", args=[enterprise_y.pk])).status_code == (
        200 if persona in ("provincial", "superuser") else 404
    )


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
    request,
):
    store = request.getfixturevalue("x_store")
    _enriched(enterprise_x, store, preparer_x, carrier_c, receiver_r, manifests=size[0], reports=size[1])
    client.force_login(officer_a)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("registry:enterprise_detail", args=[enterprise_x.pk]))
    assert response.status_code == 200


@pytest.mark.usefixtures("parties")
def test_the_enterprise_page_query_count_does_not_grow(
    client,
    officer_a,
    enterprise_x,
    preparer_x,
    carrier_c,
    receiver_r,
    request,
):
    store = request.getfixturevalue("x_store")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(officer_a)
    url = reverse("registry:enterprise_detail", args=[enterprise_x.pk])
    _enriched(enterprise_x, store, preparer_x, carrier_c, receiver_r, manifests=1, reports=1)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _enriched(enterprise_x, store, preparer_x, carrier_c, receiver_r, manifests=8, reports=12)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_inspections_section_follows_the_model(client, officer_a, enterprise_x):
    from django.apps import apps

    client.force_login(officer_a)
    response = client.get(reverse("registry:enterprise_detail", args=[enterprise_x.pk]))
    try:
        apps.get_model("reporting", "Inspection")
    except LookupError:
        assert response.context["inspections"] is None
    else:
        assert response.context["inspections"] == []
