"""The ledger: entries move the stock of their facility; withdrawals beyond stock are refused."""

import contextlib
import random
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories as f
from tests.transfers.factories import generate, stock
from transfers import services
from transfers.models import LedgerEntry, StockBalance
from transfers.services.ledger import reverse_ledger_entry
from wasteparks.errors import NotPermitted, RuleViolation


def record(actor, facility, stage, quantity, code="900-249-08", **extra):
    return services.record_ledger_entry(
        actor=actor,
        enterprise=facility.enterprise,
        facility=facility,
        waste_code=f.waste_code(code),
        stage=stage,
        quantity_t=quantity,
        **extra,
    )


@pytest.mark.django_db
class TestStockFollowsTheLedger:
    def test_generation_adds_and_a_move_between_stores_takes_from_one_and_adds_to_the_other(
        self, preparer_x, x_store, enterprise_x
    ):
        yard = f.FacilityFactory(enterprise=enterprise_x, name="X yard")
        record(preparer_x, x_store, "generated", Decimal("12.5"))
        services.move_stock(
            actor=preparer_x,
            enterprise=enterprise_x,
            from_facility=x_store,
            to_facility=yard,
            waste_code=f.waste_code("900-249-08"),
            quantity_t=Decimal("2.5"),
        )
        assert stock(enterprise_x, x_store, "900-249-08") == Decimal("10")
        assert stock(enterprise_x, yard, "900-249-08") == Decimal("2.5")
        balance = StockBalance.objects.get(facility=x_store)
        assert (balance.total_in_t, balance.total_out_t) == (Decimal("12.5"), Decimal("2.5"))
        assert not StockBalance.objects.drifted().exists()

    def test_in_house_utilization_names_its_method_and_takes_from_stock(self, preparer_x, x_store, enterprise_x):
        record(preparer_x, x_store, "generated", Decimal("5"))
        entry = record(preparer_x, x_store, "utilized_in_house", Decimal("4"), method=f.method("R9"))
        assert entry.method.code == "R9"
        assert stock(enterprise_x, x_store, "900-249-08") == Decimal("1")

    def test_taking_out_more_than_is_on_hand_is_refused_and_changes_nothing(self, preparer_x, x_store, enterprise_x):
        record(preparer_x, x_store, "generated", Decimal("3"))
        with pytest.raises(RuleViolation) as refused:
            record(preparer_x, x_store, "disposed_in_house", Decimal("3.0001"), method=f.method("D10"))
        assert refused.value.code == "insufficient_stock"
        assert "3.0001" in refused.value.message and "3.0000 t is on hand" in refused.value.message
        assert stock(enterprise_x, x_store, "900-249-08") == Decimal("3")
        assert LedgerEntry.objects.count() == 1

    def test_taking_out_stock_that_never_existed_is_refused(self, preparer_x, x_store):
        with pytest.raises(RuleViolation) as refused:
            record(preparer_x, x_store, "disposed_in_house", Decimal("1"), method=f.method("D10"))
        assert refused.value.code == "insufficient_stock"
        assert not StockBalance.objects.exists()

    def test_the_database_refuses_a_negative_balance_even_without_the_service(self, preparer_x, x_store):
        from django.db import IntegrityError, transaction

        record(preparer_x, x_store, "generated", Decimal("1"))
        with pytest.raises(IntegrityError), transaction.atomic():
            StockBalance.objects.filter(facility=x_store).update(quantity_t=Decimal("-1"), total_out_t=Decimal("2"))


@pytest.mark.django_db
class TestRefusedEntries:
    @pytest.mark.parametrize(
        "quantity", [Decimal("0"), Decimal("-1"), Decimal("1000000.0001"), Decimal("1.00001"), "abc", Decimal("NaN")]
    )
    def test_zero_negative_absurd_or_non_numeric_quantities_are_refused(self, preparer_x, x_store, quantity):
        with pytest.raises(RuleViolation) as refused:
            record(preparer_x, x_store, "generated", quantity)
        assert refused.value.code == "invalid_quantity"
        assert not LedgerEntry.objects.exists()
        assert not StockBalance.objects.exists()

    def test_a_float_quantity_is_refused(self, preparer_x, x_store):
        with pytest.raises(RuleViolation):
            record(preparer_x, x_store, "generated", 1.5)

    def test_shipments_cannot_be_recorded_by_hand(self, preparer_x, x_store):
        record(preparer_x, x_store, "generated", Decimal("5"))
        for stage in ("shipped", "received"):
            with pytest.raises(RuleViolation) as refused:
                record(preparer_x, x_store, stage, Decimal("1"))
            assert refused.value.code == "stage_not_manual"
        assert LedgerEntry.objects.count() == 1

    def test_treatment_needs_a_method_of_the_matching_kind(self, preparer_x, x_store):
        record(preparer_x, x_store, "generated", Decimal("5"))
        with pytest.raises(RuleViolation) as missing:
            record(preparer_x, x_store, "utilized_in_house", Decimal("1"))
        with pytest.raises(RuleViolation) as wrong_kind:
            record(preparer_x, x_store, "utilized_in_house", Decimal("1"), method=f.method("D1"))
        assert (missing.value.code, wrong_kind.value.code) == ("method_required", "method_kind_mismatch")
        assert stock(x_store.enterprise, x_store, "900-249-08") == Decimal("5")

    def test_an_entry_in_the_future_is_refused(self, preparer_x, x_store):
        with pytest.raises(RuleViolation) as refused:
            record(preparer_x, x_store, "generated", Decimal("1"), occurred_at=timezone.now() + timedelta(days=1))
        assert refused.value.code == "out_of_window"
        assert "occurred_at" in refused.value.fields

    def test_another_enterprises_facility_is_refused(self, preparer_x, enterprise_x, r_store):
        with pytest.raises(RuleViolation) as refused:
            services.record_ledger_entry(
                actor=preparer_x,
                enterprise=enterprise_x,
                facility=r_store,
                waste_code=f.waste_code("900-249-08"),
                stage="generated",
                quantity_t=Decimal("1"),
            )
        assert refused.value.code == "facility_not_of_enterprise"

    @pytest.mark.parametrize("who", ["viewer_x", "preparer_y", "officer_a", "provincial", "driver_c"])
    def test_only_the_enterprises_own_preparers_and_admins_record(self, request, who, x_store):
        actor = request.getfixturevalue(who)
        with pytest.raises(NotPermitted):
            record(actor, x_store, "generated", Decimal("1"))
        assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
class TestStockAge:
    def test_the_age_is_that_of_the_oldest_tonne_not_yet_taken_out_first_in_first_out(self, preparer_x, x_store):
        now = timezone.now()
        generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="4", hours_ago=72)
        generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="6", hours_ago=48)
        generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="5", hours_ago=24)

        def oldest():
            return StockBalance.objects.with_oldest_on_hand().get(facility=x_store).oldest_on_hand_at

        def dispose(quantity):
            record(preparer_x, x_store, "disposed_in_house", quantity, method=f.method("D10"))

        assert abs(oldest() - (now - timedelta(hours=72))) < timedelta(minutes=1)
        dispose(Decimal("4"))  # the 72-hour batch is gone
        assert abs(oldest() - (now - timedelta(hours=48))) < timedelta(minutes=1)
        dispose(Decimal("5.9999"))  # 0.0001 t of the 48-hour batch is left
        assert abs(oldest() - (now - timedelta(hours=48))) < timedelta(minutes=1)
        dispose(Decimal("0.0001"))
        assert abs(oldest() - (now - timedelta(hours=24))) < timedelta(minutes=1)
        dispose(Decimal("5"))
        assert oldest() is None

    def test_the_age_is_the_first_on_hand_batchs_whatever_the_order_entries_and_reversals_came_in(
        self, preparer_x, x_store
    ):
        """Read newest first (with_oldest_on_hand), the age is that of the oldest batch the FIFO walk from
        the oldest inflow leaves on hand (batches_on_hand), after every step of a clerk's muddled month:
        back-dated generations, disposals, inflows booked twice and reversed."""
        pick = random.Random(20261201)
        inflows = []
        for _ in range(40):
            balance = StockBalance.objects.filter(facility=x_store).first()
            roll = pick.random()
            if balance is None or balance.quantity_t == 0 or roll < 0.5:
                inflows.append(
                    generate(
                        actor=preparer_x,
                        facility=x_store,
                        code="900-249-08",
                        quantity=str(pick.randint(1, 9)),
                        hours_ago=pick.randint(0, 3000),
                    )  # fmt: skip
                )
            elif roll < 0.8:
                taken = min(balance.quantity_t, Decimal(pick.randint(1, 6)))
                record(preparer_x, x_store, "disposed_in_house", taken, method=f.method("D10"))
            else:
                with contextlib.suppress(RuleViolation):  # not when the stock would go below zero
                    reverse_ledger_entry(entry=inflows.pop(pick.randrange(len(inflows))), actor=preparer_x,
                                                  reason="booked twice")  # fmt: skip
            row = StockBalance.objects.with_oldest_on_hand().get(facility=x_store)
            batches = LedgerEntry.objects.batches_on_hand(
                enterprise_id=row.enterprise_id, facility_id=x_store.pk, waste_code_id=row.waste_code_id,
                total_out_t=row.total_out_t,
            )  # fmt: skip
            assert row.oldest_on_hand_at == (batches[0][0] if batches else None)
        assert LedgerEntry.objects.filter(reverses__isnull=False).exists()

    def test_ages_of_a_whole_list_come_in_one_query(self, preparer_x, x_store, enterprise_x, django_assert_num_queries):
        for index in range(5):
            facility = f.FacilityFactory(enterprise=enterprise_x, name=f"Store {index}")
            generate(actor=preparer_x, facility=facility, code="900-249-08", quantity="1", hours_ago=index)
        with django_assert_num_queries(1):
            rows = list(StockBalance.objects.with_oldest_on_hand())
        assert len(rows) == 5 and all(row.oldest_on_hand_at for row in rows)


@pytest.mark.django_db
def test_stock_is_visible_to_its_enterprise_and_its_parks_officers_only(
    preparer_x, x_store, officer_a, officer_b, provincial, preparer_y
):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="1")
    assert StockBalance.objects.visible_to(preparer_x).count() == 1
    assert StockBalance.objects.visible_to(officer_a).count() == 1
    assert StockBalance.objects.visible_to(provincial).count() == 1
    assert StockBalance.objects.visible_to(officer_b).count() == 0
    assert StockBalance.objects.visible_to(preparer_y).count() == 0
    assert LedgerEntry.objects.visible_to(preparer_y).count() == 0
    assert LedgerEntry.objects.visible_to(officer_a).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_racing_withdrawals_never_make_stock_negative(catalogue, enterprise_x, preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="10")
    d10 = f.method("D10")
    barrier = threading.Barrier(2)
    outcomes = []

    def withdraw():
        try:
            barrier.wait(timeout=10)
            record(preparer_x, x_store, "disposed_in_house", Decimal("7"), method=d10)
            outcomes.append("ok")
        except RuleViolation as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["insufficient_stock", "ok"]
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("3")
    assert LedgerEntry.objects.filter(stage="disposed_in_house").count() == 1
    assert not StockBalance.objects.drifted().exists()


@pytest.mark.django_db(transaction=True)
def test_many_racing_withdrawals_take_exactly_what_is_on_hand(catalogue, enterprise_x, preparer_x, x_store):
    generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="10")
    d10 = f.method("D10")
    barrier = threading.Barrier(12)
    outcomes = []

    def withdraw():
        try:
            barrier.wait(timeout=10)
            record(preparer_x, x_store, "disposed_in_house", Decimal("1"), method=d10)
            outcomes.append("ok")
        except RuleViolation as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 10 and outcomes.count("insufficient_stock") == 2
    assert stock(enterprise_x, x_store, "900-249-08") == Decimal("0")
