"""The HJ 1259-2022 management class is derived from the ledger, the installations and the licences: on
verification and by the yearly job, with a history of every change; an officer may set another class
with a reason, which stands until an officer lifts it.

Personas: Enterprise X (a generator of park A) and its preparer, the officer of park A, the officer of
park B, receiver R (holding an operating licence).
"""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from registry import classes
from registry.models import ClassChangeSource, EnterpriseStatus, FacilityKind, ManagementClass, ManagementClassChange
from registry.services import verify_enterprise
from tests import factories as f
from tests.fixtures.reports import HW, SW, book
from transfers.models import LedgerStage
from transfers.services.classes import derive_management_class
from transfers.tasks import derive_management_classes
from wasteparks.errors import NotPermitted, RuleViolation
from wasteparks.periods import local_date, zone

pytestmark = pytest.mark.django_db

KEY, SIMPLIFIED, REGISTRATION = ManagementClass.KEY, ManagementClass.SIMPLIFIED, ManagementClass.REGISTRATION
TODAY = local_date()


def mid(year: int) -> datetime:
    return datetime(year, 6, 15, 10, tzinfo=zone())


@pytest.fixture
def generate(enterprise_x):
    store = f.FacilityFactory(enterprise=enterprise_x, name="Hazardous waste store")
    clerk = f.UserFactory(username="ledger-clerk")

    def generate(tonnes, *, year: int, code: str = HW, enterprise=None):
        facility = store if enterprise is None else f.FacilityFactory(enterprise=enterprise)
        book(actor=clerk, facility=facility, code=code, stage=LedgerStage.GENERATED, quantity=tonnes, when=mid(year))

    return generate


def derive(enterprise, today: date = TODAY):
    return derive_management_class(enterprise=enterprise, actor=None, occasion="Yearly review", today=today)


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        ("9.9999", REGISTRATION),
        ("10", SIMPLIFIED),
        ("99.9999", SIMPLIFIED),
        ("100", KEY),
    ],
)
def test_the_largest_year_of_the_last_three_decides_the_class_at_each_boundary(
    enterprise_x, generate, largest, expected
):
    generate("5", year=TODAY.year - 1)
    generate(largest, year=TODAY.year - 3)
    change = derive(enterprise_x)
    enterprise_x.refresh_from_db()
    assert enterprise_x.management_class == expected
    assert change.derived_class == expected and change.largest_annual_t == Decimal(largest)
    assert (change.first_year, change.last_year) == (TODAY.year - 3, TODAY.year)


def test_a_year_four_years_back_no_longer_counts(enterprise_x, generate):
    generate("500", year=TODAY.year - 4)
    derive(enterprise_x)
    enterprise_x.refresh_from_db()
    assert enterprise_x.management_class == REGISTRATION


def test_this_years_quantity_so_far_counts_already(enterprise_x, generate):
    generate("150", year=TODAY.year)
    derive(enterprise_x)
    enterprise_x.refresh_from_db()
    assert enterprise_x.management_class == KEY


def test_general_and_medical_waste_do_not_count_towards_the_hazardous_class(enterprise_x, generate):
    generate("5000", year=TODAY.year - 1, code=SW)
    generate("500", year=TODAY.year - 1, code="841-001-01")
    change = derive(enterprise_x)
    enterprise_x.refresh_from_db()
    assert enterprise_x.management_class == REGISTRATION and change.largest_annual_t == 0


def test_an_own_treatment_installation_or_an_operating_licence_makes_a_site_key_supervised(enterprise_x, receiver_r):
    f.FacilityFactory(enterprise=enterprise_x, name="Kiln", kind=FacilityKind.UTILIZATION)
    derive(enterprise_x)
    derive(receiver_r)
    enterprise_x.refresh_from_db()
    receiver_r.refresh_from_db()
    assert enterprise_x.management_class == receiver_r.management_class == KEY
    assert enterprise_x.class_changes.get().operates_own_treatment is True
    assert receiver_r.class_changes.get().holds_operating_licence is True


def test_verifying_a_registration_derives_its_class_with_the_officer_named(park_a, officer_a):
    pending = f.EnterpriseFactory(park=park_a, status=EnterpriseStatus.PENDING, management_class=REGISTRATION)
    store = f.FacilityFactory(enterprise=pending)
    clerk = f.UserFactory()
    book(actor=clerk, facility=store, code=HW, stage=LedgerStage.GENERATED, quantity="500", when=mid(TODAY.year - 1))

    verified = verify_enterprise(enterprise=pending, officer=officer_a)

    assert verified.management_class == KEY
    change = ManagementClassChange.objects.get(enterprise=pending)
    assert (change.source, change.from_class, change.to_class) == (ClassChangeSource.DERIVED, REGISTRATION, KEY)
    assert change.actor == officer_a and change.largest_annual_t == Decimal("500")
    assert "500" in change.reason


def test_a_derivation_that_changes_nothing_writes_no_history(enterprise_x, generate):
    generate("50", year=TODAY.year - 1)
    assert derive(enterprise_x) is not None
    assert derive(enterprise_x) is None
    assert enterprise_x.class_changes.count() == 1


def test_an_officers_class_stands_through_derivations_until_lifted(enterprise_x, generate, officer_a):
    generate("50", year=TODAY.year - 1)
    derive(enterprise_x)  # simplified
    classes.override_management_class(
        enterprise=enterprise_x, officer=officer_a, management_class=KEY, reason="Inspection found an unrecorded kiln"
    )
    enterprise_x.refresh_from_db()
    assert (enterprise_x.management_class, enterprise_x.management_class_overridden) == (KEY, True)

    generate("1", year=TODAY.year - 2)
    f.FacilityFactory(enterprise=enterprise_x, name="Yard", kind=FacilityKind.YARD)
    generate("5", year=TODAY.year, code=SW)
    assert derive(enterprise_x) is None  # the rule still gives simplified: nothing new to record
    generate("200", year=TODAY.year)
    change = derive(enterprise_x)
    enterprise_x.refresh_from_db()
    assert enterprise_x.management_class == KEY and change.derived_class == KEY and change.to_class == KEY

    classes.lift_class_override(enterprise=enterprise_x, officer=officer_a, reason="Kiln recorded as installation")
    enterprise_x.refresh_from_db()
    assert (enterprise_x.management_class, enterprise_x.management_class_overridden) == (KEY, False)
    sources = list(enterprise_x.class_changes.order_by("at", "id").values_list("source", "to_class"))
    assert sources == [("derived", SIMPLIFIED), ("override", KEY), ("derived", KEY), ("lifted", KEY)]


def test_lifting_returns_to_the_derived_class(enterprise_x, generate, officer_a):
    generate("5", year=TODAY.year - 1)
    derive(enterprise_x)
    classes.override_management_class(
        enterprise=enterprise_x, officer=officer_a, management_class=SIMPLIFIED, reason="Provincial list 2026"
    )
    change = classes.lift_class_override(enterprise=enterprise_x, officer=officer_a, reason="List withdrawn")
    enterprise_x.refresh_from_db()
    assert enterprise_x.management_class == REGISTRATION == change.to_class


def test_an_override_needs_a_reason_and_an_officer_of_the_park(enterprise_x, officer_a, officer_b, preparer_x):
    with pytest.raises(RuleViolation):
        classes.override_management_class(enterprise=enterprise_x, officer=officer_a, management_class=KEY, reason=" ")
    for outsider in (officer_b, preparer_x):
        with pytest.raises(NotPermitted):
            classes.override_management_class(
                enterprise=enterprise_x, officer=outsider, management_class=KEY, reason="because"
            )
    with pytest.raises(RuleViolation):
        classes.override_management_class(
            enterprise=enterprise_x, officer=officer_a, management_class="top", reason="x"
        )
    with pytest.raises(RuleViolation):
        classes.lift_class_override(enterprise=enterprise_x, officer=officer_a, reason="nothing to lift")
    enterprise_x.refresh_from_db()
    assert enterprise_x.management_class_overridden is False
    assert not enterprise_x.class_changes.exists()


def test_the_yearly_job_derives_every_active_enterprise_once(enterprise_x, enterprise_y, generate):
    generate("120", year=TODAY.year - 1)
    generate("20", year=TODAY.year - 1, enterprise=enterprise_y)
    assert derive_management_classes() == 2
    assert derive_management_classes() == 0
    enterprise_x.refresh_from_db()
    enterprise_y.refresh_from_db()
    assert (enterprise_x.management_class, enterprise_y.management_class) == (KEY, SIMPLIFIED)


def test_the_yearly_job_is_scheduled_in_january(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["derive-management-classes-yearly"]
    assert entry["task"] == "transfers.tasks.derive_management_classes"
    assert entry["schedule"].month_of_year == {1}


# --- the page and the API -----------------------------------------------------------------------------


def test_the_officer_sets_a_class_on_the_class_page_and_the_enterprise_page_shows_it(client, enterprise_x, officer_a):
    client.force_login(officer_a)
    url = reverse("registry:enterprise_class", args=[enterprise_x.pk])
    response = client.post(url, {"management_class": KEY, "reason": "Listed by the province"})
    assert response.status_code == 302
    enterprise_x.refresh_from_db()
    assert (enterprise_x.management_class, enterprise_x.management_class_overridden) == (KEY, True)
    page = client.get(url).content.decode()
    assert "Listed by the province" in page
    detail = client.get(reverse("reporting:enterprise_detail", args=[enterprise_x.pk])).content.decode()
    assert 'data-testid="class-changes"' in detail and "Listed by the province" in detail


def test_the_class_page_refuses_bad_input_and_writes_nothing(client, enterprise_x, officer_a):
    client.force_login(officer_a)
    url = reverse("registry:enterprise_class", args=[enterprise_x.pk])
    for data in ({"management_class": KEY, "reason": ""}, {"management_class": "top", "reason": "x"}, {"reason": "x"}):
        assert client.post(url, data).status_code == 400
    assert client.post(url, {"lift": "on", "reason": "nothing to lift"}).status_code == 400
    assert not enterprise_x.class_changes.exists()


def test_another_parks_officer_gets_404_and_the_enterprises_staff_may_read_but_not_set(
    client, enterprise_x, officer_b, preparer_x
):
    url = reverse("registry:enterprise_class", args=[enterprise_x.pk])
    client.force_login(officer_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"management_class": KEY, "reason": "x"}).status_code == 404
    client.force_login(preparer_x)
    assert client.get(url).status_code == 200
    assert client.post(url, {"management_class": KEY, "reason": "x"}).status_code == 403
    assert not enterprise_x.class_changes.exists()


def test_the_api_serves_the_class_and_its_history(
    client, enterprise_x, generate, officer_a, django_assert_max_num_queries
):
    generate("50", year=TODAY.year - 1)
    derive(enterprise_x)
    classes.override_management_class(enterprise=enterprise_x, officer=officer_a, management_class=KEY, reason="Listed")
    f.EnterpriseFactory.create_batch(3, park=enterprise_x.park)
    client.force_login(officer_a)
    body = client.get(f"/api/v1/enterprises/{enterprise_x.pk}/").json()
    assert body["management_class"] == KEY and body["management_class_overridden"] is True
    assert [(step["source"], step["to_class"]) for step in body["class_history"]] == [
        ("override", KEY),
        ("derived", SIMPLIFIED),
    ]
    assert body["class_history"][0]["actor"] == officer_a.username
    assert body["class_history"][1]["largest_annual_t"] == "50.0000"
    with django_assert_max_num_queries(15):
        assert client.get("/api/v1/enterprises/").status_code == 200
