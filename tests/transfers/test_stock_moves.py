"""Moves between an enterprise's own stores: one action with two legs, stock that reads the same on every
page and in the report, and a storage clock that does not restart when waste changes store."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from registry.clients import create_api_client
from registry.models import ApiScope
from reporting.models import Warning
from reporting.services import reports as report_services
from reporting.warnings import RULES_BY_CODE, run_rules
from tests import factories as f
from tests.api.conftest import bearer, error_of
from tests.fixtures.reports import D, at, clock, last_period
from tests.transfers.factories import draft, generate, stock
from transfers import services
from transfers.models import LedgerEntry, LedgerStage, StockBalance
from transfers.services.ledger import post_entry, reverse_ledger_entry
from wasteparks.errors import NotPermitted, RuleViolation

pytestmark = pytest.mark.django_db

HW = "900-249-08"
MOVE = "/api/v1/ledger-entries/move/"


def move(actor, source, target, quantity, **extra):
    return services.move_stock(
        actor=actor,
        enterprise=source.enterprise,
        from_facility=source,
        to_facility=target,
        waste_code=f.waste_code(HW),
        quantity_t=Decimal(quantity),
        **extra,
    )


def enterprise_stock(enterprise) -> Decimal:
    return StockBalance.objects.filter(enterprise=enterprise, waste_code__code=HW).aggregate(total=Sum("quantity_t"))[
        "total"
    ] or Decimal("0")


def oldest_on_hand(facility):
    return StockBalance.objects.with_oldest_on_hand().get(facility=facility, waste_code__code=HW).oldest_on_hand_at


def close_to(moment, expected) -> bool:
    return abs(moment - expected) < timedelta(minutes=1)


@pytest.fixture
def erp_x(enterprise_x):
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    return bearer(token)


@pytest.fixture
def erp_y(enterprise_y):
    _, token = create_api_client(name="Y ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_y)
    return bearer(token)


# --- the service ----------------------------------------------------------------------------------------


def test_a_move_writes_both_legs_together_under_one_move_id(preparer_x, enterprise_x, x_store, x_yard):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    moved = move(preparer_x, x_store, x_yard, "4", reason="store is being relined")

    legs = list(LedgerEntry.objects.filter(move=moved.id).order_by("pk"))
    assert [(leg.stage, leg.facility, leg.quantity_t) for leg in legs] == [
        (LedgerStage.STORED_OUT, x_store, Decimal("4")),
        (LedgerStage.STORED_IN, x_yard, Decimal("4")),
    ]
    assert {leg.note for leg in legs} == {"store is being relined"}
    assert legs[0].occurred_at == legs[1].occurred_at
    assert (stock(enterprise_x, x_store, HW), stock(enterprise_x, x_yard, HW)) == (Decimal("6"), Decimal("4"))
    assert enterprise_stock(enterprise_x) == Decimal("10")
    assert not StockBalance.objects.drifted().exists()


def test_the_clerks_day_generate_120_move_120_ship_100_leaves_20_t_everywhere(
    client, preparer_x, driver_c, enterprise_x, carrier_c, receiver_r, x_store, x_yard, road_permit
):
    """产生 120 t, 库间转移 120 t, 转移联单 100 t: the stock page, the API, the ledger and the report agree."""
    period = last_period()
    with clock(at(period, 2)):
        generate(actor=preparer_x, facility=x_store, code=HW, quantity="120")
    with clock(at(period, 3)):
        move(preparer_x, x_store, x_yard, "120")
    with clock(at(period, 4)):
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_yard,
            quantity="100",
        )
        services.submit_manifest(manifest=manifest, actor=preparer_x)
        services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")

    assert (stock(enterprise_x, x_store, HW), stock(enterprise_x, x_yard, HW)) == (Decimal("0"), Decimal("20"))
    assert enterprise_stock(enterprise_x) == Decimal("20")
    on_books = StockBalance.objects.filter(enterprise=enterprise_x).with_ledger_total()
    assert sum(balance.ledger_total_t for balance in on_books) == Decimal("20")

    client.force_login(preparer_x)
    page = client.get(reverse("transfers:stock_list")).context["page"]
    assert [(row.facility, row.quantity_t) for row in page] == [(x_yard, Decimal("20"))]

    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    rows = bearer(token).get("/api/v1/stock/").json()["results"]
    assert sum(Decimal(row["quantity_t"]) for row in rows) == Decimal("20")

    report = report_services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
    )
    line = report.current_revision.lines.get(waste_code__code=HW)
    assert (line.generated_t, line.shipped_for_utilization_t, line.closing_stock_t) == (D(120), D(100), D(20))


def test_waste_400_days_old_moved_20_days_ago_is_still_400_days_old(
    client, preparer_x, enterprise_x, x_store, x_yard, erp_x
):
    now = timezone.now()
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="5", hours_ago=400 * 24)
    move(preparer_x, x_store, x_yard, "5", occurred_at=now - timedelta(days=20))

    assert close_to(oldest_on_hand(x_yard), now - timedelta(days=400))
    [row] = erp_x.get("/api/v1/stock/", {"facility": x_yard.pk}).json()["results"]
    assert 399.9 < row["age_days"] < 400.1
    client.force_login(preparer_x)
    [balance] = client.get(reverse("transfers:stock_list")).context["page"]
    assert (balance.facility, balance.age_days) == (x_yard, 400)
    # The one-year rule reads the same age: the waste in the yard is over the limit.
    run_rules(rules=(RULES_BY_CODE["STORAGE_OVER_LIMIT"],))
    [warning] = Warning.objects.live().filter(rule="STORAGE_OVER_LIMIT")
    assert (warning.facility_id, warning.severity) == (x_yard.pk, "critical")


def test_a_move_takes_the_oldest_tonnes_and_each_keeps_its_own_age(preparer_x, x_store, x_yard):
    now = timezone.now()
    older = generate(actor=preparer_x, facility=x_store, code=HW, quantity="3", hours_ago=300 * 24)
    younger = generate(actor=preparer_x, facility=x_store, code=HW, quantity="5", hours_ago=10 * 24)
    moved = move(preparer_x, x_store, x_yard, "4")

    assert sorted((leg.quantity_t, leg.stock_since) for leg in moved.into) == [
        (Decimal("1"), younger.occurred_at),
        (Decimal("3"), older.occurred_at),
    ]
    assert close_to(oldest_on_hand(x_yard), now - timedelta(days=300))
    assert close_to(oldest_on_hand(x_store), now - timedelta(days=10))  # the store keeps the younger 4 t
    generate(actor=preparer_x, facility=x_yard, code=HW, quantity="3", stage="disposed_in_house", method="D10")
    assert close_to(oldest_on_hand(x_yard), now - timedelta(days=10))  # the 300-day tonnes went first


def test_a_reversed_inflow_never_held_the_oldest_tonne(preparer_x, x_store):
    now = timezone.now()
    wrong = generate(actor=preparer_x, facility=x_store, code=HW, quantity="10", hours_ago=90 * 24)
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="5", hours_ago=5 * 24)
    reverse_ledger_entry(entry=wrong, actor=preparer_x, reason="typed for the wrong store")
    assert close_to(oldest_on_hand(x_store), now - timedelta(days=5))


class TestRefusedMoves:
    @pytest.fixture(autouse=True)
    def stocked(self, preparer_x, x_store):
        generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")

    def assert_nothing_moved(self, enterprise_x, x_store):
        assert not LedgerEntry.objects.filter(move__isnull=False).exists()
        assert stock(enterprise_x, x_store, HW) == Decimal("10")

    def test_into_another_enterprises_store_without_naming_it(self, preparer_x, enterprise_x, x_store, enterprise_y):
        their_store = f.FacilityFactory(enterprise=enterprise_y, name="Y secret store")
        with pytest.raises(RuleViolation) as refused:
            move(preparer_x, x_store, their_store, "1")
        assert refused.value.code == "facility_not_of_enterprise"
        assert "Y secret store" not in refused.value.message
        self.assert_nothing_moved(enterprise_x, x_store)

    def test_into_the_same_store(self, preparer_x, enterprise_x, x_store):
        with pytest.raises(RuleViolation) as refused:
            move(preparer_x, x_store, x_store, "1")
        assert refused.value.code == "same_facility"
        self.assert_nothing_moved(enterprise_x, x_store)

    def test_more_than_the_source_store_holds(self, preparer_x, enterprise_x, x_store, x_yard):
        with pytest.raises(RuleViolation) as refused:
            move(preparer_x, x_store, x_yard, "10.0001")
        assert refused.value.code == "insufficient_stock"
        assert "10.0000 t is on hand" in refused.value.message
        self.assert_nothing_moved(enterprise_x, x_store)

    def test_out_of_a_store_that_never_held_the_code(self, preparer_x, enterprise_x, x_store, x_yard):
        with pytest.raises(RuleViolation) as refused:
            move(preparer_x, x_yard, x_store, "1")
        assert refused.value.code == "insufficient_stock"
        self.assert_nothing_moved(enterprise_x, x_store)

    @pytest.mark.parametrize("quantity", ["0", "-1", "1.00001", "abc"])
    def test_a_quantity_that_is_not_one(self, preparer_x, enterprise_x, x_store, x_yard, quantity):
        with pytest.raises(RuleViolation) as refused:
            services.move_stock(
                actor=preparer_x,
                enterprise=enterprise_x,
                from_facility=x_store,
                to_facility=x_yard,
                waste_code=f.waste_code(HW),
                quantity_t=quantity,
            )
        assert refused.value.code == "invalid_quantity"
        self.assert_nothing_moved(enterprise_x, x_store)

    def test_in_the_future(self, preparer_x, enterprise_x, x_store, x_yard):
        with pytest.raises(RuleViolation) as refused:
            move(preparer_x, x_store, x_yard, "1", occurred_at=timezone.now() + timedelta(days=1))
        assert refused.value.code == "out_of_window"
        self.assert_nothing_moved(enterprise_x, x_store)

    @pytest.mark.parametrize("who", ["viewer_x", "preparer_y", "officer_a", "driver_c"])
    def test_by_anyone_but_the_enterprises_preparers_and_admins(self, request, who, enterprise_x, x_store, x_yard):
        with pytest.raises(NotPermitted):
            move(request.getfixturevalue(who), x_store, x_yard, "1")
        self.assert_nothing_moved(enterprise_x, x_store)

    def test_a_leg_of_a_move_is_not_reversed_on_its_own(self, preparer_x, enterprise_x, x_store, x_yard):
        moved = move(preparer_x, x_store, x_yard, "2")
        with pytest.raises(RuleViolation) as refused:
            reverse_ledger_entry(entry=moved.out, actor=preparer_x, reason="undo half")
        assert refused.value.code == "entry_of_move"
        assert not LedgerEntry.objects.filter(reverses__isnull=False).exists()


@pytest.mark.parametrize("stage", [LedgerStage.STORED_IN, LedgerStage.STORED_OUT])
def test_a_single_stored_in_or_out_entry_cannot_be_recorded(preparer_x, x_store, stage):
    with pytest.raises(RuleViolation) as refused:
        generate(actor=preparer_x, facility=x_store, code=HW, quantity="1", stage=stage)
    assert refused.value.code == "stage_not_manual"
    assert not LedgerEntry.objects.exists()


def test_rows_recorded_before_moves_existed_stay_readable(client, preparer_x, enterprise_x, x_store, erp_x):
    """A stored_in written on its own (before this rule) is still listed by the page and the API."""
    post_entry(
        enterprise=enterprise_x,
        facility=x_store,
        waste_code=f.waste_code(HW),
        stage=LedgerStage.STORED_IN,
        quantity_t=Decimal("2"),
        occurred_at=timezone.now(),
        recorded_by=preparer_x,
    )
    client.force_login(preparer_x)
    response = client.get(reverse("transfers:ledger_list"), {"stage": "stored_in"})
    assert response.status_code == 200 and response.context["page"].paginator.count == 1
    [row] = erp_x.get("/api/v1/ledger-entries/").json()["results"]
    assert (row["stage"], row["move"], row["stock_since"]) == ("stored_in", None, None)


# --- the pages ------------------------------------------------------------------------------------------


def move_data(source, target, **extra):
    data = {
        "enterprise": source.enterprise_id,
        "from_facility": source.pk,
        "to_facility": target.pk,
        "waste_code": HW,
        "quantity_t": "4",
        "occurred_at": "",
        "reason": "",
    }
    data.update(extra)
    return data


def test_the_preparer_moves_waste_from_the_move_page(client, preparer_x, enterprise_x, x_store, x_yard):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    client.force_login(preparer_x)
    assert client.get(reverse("transfers:ledger_move")).status_code == 200
    response = client.post(reverse("transfers:ledger_move"), move_data(x_store, x_yard))
    assert response.status_code == 302 and response["Location"] == reverse("transfers:stock_list")
    assert (stock(enterprise_x, x_store, HW), stock(enterprise_x, x_yard, HW)) == (Decimal("6"), Decimal("4"))
    assert LedgerEntry.objects.filter(move__isnull=False, source="web").count() == 2


def test_the_entry_form_no_longer_offers_stored_in_or_out(client, preparer_x, enterprise_x, x_store):
    client.force_login(preparer_x)
    form = client.get(reverse("transfers:ledger_new")).context["form"]
    assert {value for value, _ in form.fields["stage"].choices} == {
        "generated",
        "utilized_in_house",
        "disposed_in_house",
    }
    data = {"enterprise": enterprise_x.pk, "facility": x_store.pk, "stage": "stored_in", "waste_code": HW}
    response = client.post(reverse("transfers:ledger_new"), {**data, "quantity_t": "1"})
    assert response.status_code == 400 and "stage" in response.context["form"].errors
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity_t": "abc"}, "quantity_t"),
        ({"quantity_t": "0"}, "quantity_t"),
        ({"quantity_t": "10.0001"}, "quantity_t"),  # more than the store holds
        ({"to_facility": "same"}, "to_facility"),
        ({"occurred_at": "0001-01-01T00:00"}, "occurred_at"),
        ({"waste_code": "HW08"}, "waste_code"),
    ],
)
def test_bad_move_input_shows_field_errors_and_moves_nothing(
    client, preparer_x, enterprise_x, x_store, x_yard, changes, field
):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    client.force_login(preparer_x)
    if changes.get("to_facility") == "same":
        changes = {"to_facility": x_store.pk}
    response = client.post(reverse("transfers:ledger_move"), move_data(x_store, x_yard, **changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert LedgerEntry.objects.count() == 1
    assert stock(enterprise_x, x_store, HW) == Decimal("10")


def test_another_enterprise_cannot_move_x_stock_from_the_page(client, preparer_x, preparer_y, x_store, x_yard):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    client.force_login(preparer_y)
    response = client.post(reverse("transfers:ledger_move"), move_data(x_store, x_yard))
    assert response.status_code == 400
    assert {"enterprise", "from_facility", "to_facility"} <= set(response.context["form"].errors)
    assert "X hazardous waste store" not in response.content.decode()
    assert LedgerEntry.objects.count() == 1


def test_an_officer_sees_no_enterprise_to_move_for(client, officer_a, preparer_x, x_store, x_yard):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    client.force_login(officer_a)
    assert not client.get(reverse("transfers:ledger_move")).context["form"].fields["enterprise"].queryset.exists()
    assert client.post(reverse("transfers:ledger_move"), move_data(x_store, x_yard)).status_code == 400
    assert LedgerEntry.objects.count() == 1


# --- the API --------------------------------------------------------------------------------------------


def move_body(source, target, **extra):
    body = {
        "enterprise": source.enterprise_id,
        "from_facility": source.pk,
        "to_facility": target.pk,
        "waste_code": HW,
        "quantity_t": "4",
    }
    body.update(extra)
    return body


def test_the_api_moves_waste_and_answers_with_both_legs(erp_x, preparer_x, enterprise_x, x_store, x_yard):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    response = erp_x.post(MOVE, move_body(x_store, x_yard, reason="relining"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(leg["stage"], leg["facility"], leg["move"]) for leg in body["entries"]] == [
        ("stored_out", x_store.pk, body["move"]),
        ("stored_in", x_yard.pk, body["move"]),
    ]
    assert {leg["source"] for leg in body["entries"]} == {"api"}
    assert (stock(enterprise_x, x_store, HW), stock(enterprise_x, x_yard, HW)) == (Decimal("6"), Decimal("4"))


def test_an_idempotent_retry_of_a_move_moves_nothing_more(erp_x, preparer_x, enterprise_x, x_store, x_yard):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    first = erp_x.post(MOVE, move_body(x_store, x_yard), HTTP_IDEMPOTENCY_KEY="move-1")
    retry = erp_x.post(MOVE, move_body(x_store, x_yard), HTTP_IDEMPOTENCY_KEY="move-1")
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert LedgerEntry.objects.filter(move__isnull=False).count() == 2
    assert stock(enterprise_x, x_store, HW) == Decimal("6")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"quantity_t": "0"}, "invalid"),
        ({"quantity_t": "abc"}, "invalid"),
        ({"quantity_t": "10.0001"}, "insufficient_stock"),
        ({"to_facility": "same"}, "same_facility"),
        ({"occurred_at": "0001-01-01T00:00:00+08:00"}, "invalid"),
        ({"occurred_at": "2025-01-01T09:00:00"}, "invalid"),
        ({"waste_code": "nope"}, "invalid"),
        ({"stage": "stored_in"}, "invalid"),
        ({"reason": "x" * 301}, "invalid"),
    ],
)
def test_bad_moves_are_refused_with_the_error_shape_and_move_nothing(
    erp_x, preparer_x, enterprise_x, x_store, x_yard, changes, code
):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    if changes.get("to_facility") == "same":
        changes = {"to_facility": x_store.pk}
    response = erp_x.post(MOVE, move_body(x_store, x_yard, **changes))
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == code
    assert LedgerEntry.objects.count() == 1
    assert stock(enterprise_x, x_store, HW) == Decimal("10")


def test_another_enterprise_cannot_move_x_stock_through_the_api(erp_y, preparer_x, enterprise_x, x_store, x_yard):
    generate(actor=preparer_x, facility=x_store, code=HW, quantity="10")
    response = erp_y.post(MOVE, move_body(x_store, x_yard))
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) >= {"enterprise", "from_facility", "to_facility"}
    assert "X hazardous waste store" not in response.content.decode()
    assert LedgerEntry.objects.count() == 1
    assert stock(enterprise_x, x_store, HW) == Decimal("10")
