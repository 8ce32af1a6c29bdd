"""Utilization snapshots on a scripted dataset, checked by hand against DESIGN 5.6 (the national
statistics definition: the year's own generation is credited first; only what the year utilizes or
treats beyond it comes from prior years' storage).

The dataset (900-249-08, hazardous, category HW08; times in Asia/Shanghai):
  2024-06-10  X (park A) generates 20 t                       X store 20
  2024-09-10  X utilizes 5 t in house (R9)                    X store 15   backlog for 2025: 15 t
  2025-03-05  X generates 100 t                               X store 115
  2025-03-20  X utilizes 30 t in house (R9)                   X store 85
  2025-03-25  X disposes of 10 t in house (D10)               X store 75
  2025-03-28  X ships 40 t to receiver Q in park B            X store 35
  2025-03-30  Q receives 40 t                                 Q store 40
  2025-04-02  Q records utilization (R9) of the 40 t          Q store 0: counts for X, in April
  2025-04-15  Y (park B) generates 8 t, utilizes 2 t          Y store 6

By hand, March 2025 for X (and park A): generated 100, utilized 30, disposed 10, stored 35. The year has
utilized 30 t and treated 40 t of the 100 t it generated: nothing beyond its own generation, so nothing
from prior storage although 15 t of 2024 lie in the store. Utilization rate 30 / 100 = 30.0000 %,
utilization and disposal rate 40 / 100 = 40.0000 %. (The former "backlog first" rule credited the 15 t
first: 30 / 115 = 26.0870 % and 40 / 115 = 34.7826 %.)
April 2025 for X: utilized 40 (the shipment, once Q recorded it), generated 0; the year has now utilized
70 t and treated 80 t of its 100 t: still none from prior storage; no rate for the month (0 / 0).
Year to date at April for X: 70 / 100 = 70.0000 % and 80 / 100 = 80.0000 %.
Rolling 12 months to April 2025 for X (May 2024 to April 2025): generated 120, utilized 75, disposed 10,
prior storage 0 (2024 had no backlog, 2025 stayed within its generation): 75 / 120 = 62.5000 % and
85 / 120 = 70.8333 %.
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from registry.models import EnterpriseRole, PermitKind
from reporting.models import SnapshotScope, UtilizationSnapshot, rate_pct, rates_of
from reporting.services import utilization
from reporting.services.utilization import PeriodNotComputable, recompute_period, resolve_park
from tests import factories as f
from tests.transfers.factories import draft, receipt, rewriting_the_ledger, treatment
from transfers import services as transfers
from transfers.models import LedgerEntry, LedgerStage, ManifestLine
from wasteparks.periods import Period

SHANGHAI = ZoneInfo("Asia/Shanghai")
HW = "900-249-08"


def D(value) -> Decimal:
    return Decimal(str(value))


def at(year, month, day, hour=10):
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def record(actor, facility, stage, quantity, when, method=None):
    return transfers.record_ledger_entry(
        actor=actor,
        enterprise=facility.enterprise,
        facility=facility,
        waste_code=f.waste_code(HW),
        stage=stage,
        quantity_t=D(quantity),
        occurred_at=when,
        method=f.method(method) if method else None,
    )


@pytest.fixture
def receiver_q(park_b):
    """A licensed receiver in park B (Guiyang, same province)."""
    receiver = f.EnterpriseFactory(name="Receiver Q (park B)", park=park_b, is_generator=False, is_receiver=True)
    permit = f.PermitFactory(enterprise=receiver, kind=PermitKind.HAZARDOUS_OPERATING, number="GZ-HW-Q")
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code(HW), method=f.method("R9"))
    return receiver


@pytest.fixture
def dataset(preparer_x, x_store, enterprise_x, carrier_c, road_permit, driver_c, receiver_q, enterprise_y, preparer_y):
    record(preparer_x, x_store, LedgerStage.GENERATED, 20, at(2024, 6, 10))
    record(preparer_x, x_store, LedgerStage.UTILIZED_IN_HOUSE, 5, at(2024, 9, 10), "R9")
    record(preparer_x, x_store, LedgerStage.GENERATED, 100, at(2025, 3, 5))
    record(preparer_x, x_store, LedgerStage.UTILIZED_IN_HOUSE, 30, at(2025, 3, 20), "R9")
    record(preparer_x, x_store, LedgerStage.DISPOSED_IN_HOUSE, 10, at(2025, 3, 25), "D10")

    clerk_q = f.member(f.UserFactory(username="clerk_q"), receiver_q, EnterpriseRole.PREPARER)
    q_store = f.FacilityFactory(enterprise=receiver_q, name="Q receiving store", capacity_t=1000)
    manifest = draft(
        actor=preparer_x,
        consignor=enterprise_x,
        carrier=carrier_c,
        receiver=receiver_q,
        facility=x_store,
        quantity="40",
    )
    transfers.submit_manifest(manifest=manifest, actor=preparer_x)
    transfers.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")
    transfers.receive_manifest(manifest=manifest, actor=clerk_q, lines=receipt(manifest, q_store))
    transfers.treat_manifest(manifest=manifest, actor=clerk_q, lines=treatment(manifest, "R9"))
    # The signatures happened "now"; move them to the scripted dates.
    entries = LedgerEntry.objects.filter(manifest_line__manifest=manifest)
    with rewriting_the_ledger():
        entries.filter(stage=LedgerStage.SHIPPED).update(occurred_at=at(2025, 3, 28))
        entries.filter(stage=LedgerStage.RECEIVED).update(occurred_at=at(2025, 3, 30))
        entries.filter(stage=LedgerStage.UTILIZED_IN_HOUSE).update(occurred_at=at(2025, 4, 2))
    ManifestLine.objects.filter(manifest=manifest).update(treated_at=at(2025, 4, 2))

    y_store = f.FacilityFactory(enterprise=enterprise_y, name="Y store")
    record(preparer_y, y_store, LedgerStage.GENERATED, 8, at(2025, 4, 15))
    record(preparer_y, y_store, LedgerStage.UTILIZED_IN_HOUSE, 2, at(2025, 4, 16), "R9")
    return {"manifest": manifest, "receiver_q": receiver_q}


def row(scope, subject, year, month, category="HW08"):
    key = f"province:{subject}" if scope == "province" else f"{scope}:{subject.pk}"
    return UtilizationSnapshot.objects.get(
        subject_key=key, year=year, month=month, waste_class="hazardous", category_code=category
    )


def figures(snapshot):
    return (
        snapshot.generated_t,
        snapshot.utilized_t,
        snapshot.disposed_t,
        snapshot.stored_end_t,
        snapshot.utilized_from_prior_storage_t,
        snapshot.treated_from_prior_storage_t,
        snapshot.utilization_rate_pct,
        snapshot.utilization_disposal_rate_pct,
    )


def recompute_months(*periods):
    for year, month in periods:
        recompute_period(year=year, month=month)


ROLLING = [(2024, m) for m in range(5, 13)] + [(2025, m) for m in range(1, 5)]


def test_march_utilization_within_the_years_generation_takes_nothing_from_prior_storage(dataset, enterprise_x, park_a):
    recompute_months((2025, 3))

    x = row("enterprise", enterprise_x, 2025, 3)
    assert figures(x) == (D(100), D(30), D(10), D(35), D(0), D(0), D("30.0000"), D("40.0000"))
    assert x.rate_pct == D("40.0000")  # hazardous waste: the utilization-and-disposal rate
    assert figures(row("park", park_a, 2025, 3)) == figures(x)
    # The all-categories row of the class carries the same numbers here (one category only).
    assert figures(row("enterprise", enterprise_x, 2025, 3, category="")) == figures(x)


def test_shipment_utilized_in_another_park_counts_for_the_generator_once(
    dataset, enterprise_x, enterprise_y, park_a, park_b
):
    recompute_months((2025, 3), (2025, 4))
    receiver_q = dataset["receiver_q"]

    assert figures(row("enterprise", enterprise_x, 2025, 4)) == (D(0), D(40), D(0), D(35), D(0), D(0), None, None)
    assert figures(row("park", park_a, 2025, 4))[:4] == (D(0), D(40), D(0), D(35))
    # The receiver held the load at the end of March but is not credited with its utilization.
    assert figures(row("enterprise", receiver_q, 2025, 3))[:4] == (D(0), D(0), D(0), D(40))
    assert not UtilizationSnapshot.objects.filter(subject_key=f"enterprise:{receiver_q.pk}", year=2025, month=4)
    assert figures(row("park", park_b, 2025, 4))[:4] == (D(8), D(2), D(0), D(6))
    # The province counts every tonne once: X's 40 t shipment and Y's 2 t.
    province = row("province", "52", 2025, 4)
    assert figures(province)[:4] == (D(8), D(42), D(0), D(41))
    assert figures(row("province", "52", 2025, 3))[:5] == (D(100), D(30), D(10), D(75), D(0))


def test_utilization_before_the_years_own_generation_comes_from_prior_storage(
    dataset, enterprise_x, preparer_x, x_store
):
    """X utilizes 12 t of its 2024 stock (backlog 15 t) in house in January 2025, before the year has
    generated anything: those 12 t can only be prior years' storage. By hand:
    January: generated 0, utilized 12; the year is 12 t beyond its own generation: 12 t from prior
    storage (within the 15 t backlog); rate 12 / (0 + 12) = 100.0000 % for both rates.
    March: generated 100, utilized 30, disposed 10; the year has utilized 42 t and treated 52 t of the
    100 t generated, so nothing more comes from prior storage (the 12 t stay counted): 30 / 100 and
    40 / 100. Year to date at March: 42 / (100 + 12) = 37.5000 % and 52 / (100 + 12) = 46.4286 %."""
    record(preparer_x, x_store, LedgerStage.UTILIZED_IN_HOUSE, 12, at(2025, 1, 15), "R9")
    recompute_months((2025, 1), (2025, 2), (2025, 3))

    assert figures(row("enterprise", enterprise_x, 2025, 1)) == (
        D(0), D(12), D(0), D(3), D(12), D(12), D("100.0000"), D("100.0000"),
    )  # fmt: skip
    assert figures(row("enterprise", enterprise_x, 2025, 3))[4:] == (D(0), D(0), D("30.0000"), D("40.0000"))
    ytd = window(f"enterprise:{enterprise_x.pk}", Period.month_of(2025, 3).year_to_date())
    assert ytd["utilized_from_prior_storage_t"] == ytd["treated_from_prior_storage_t"] == D(12)
    assert (ytd["utilization_rate_pct"], ytd["utilization_disposal_rate_pct"]) == (D("37.5000"), D("46.4286"))


def window(subject_key: str, period: Period) -> dict:
    """The window's totals of one subject's HW08 rows, with their two rates."""
    totals = (
        UtilizationSnapshot.objects.filter(subject_key=subject_key, waste_class="hazardous", category_code="HW08")
        .window_totals(period, "subject_key")
        .get()
    )
    totals["utilization_rate_pct"], totals["utilization_disposal_rate_pct"] = rates_of(totals)
    return totals


def test_year_to_date_and_rolling_figures_are_sums_of_numerators_over_denominators(dataset, enterprise_x):
    recompute_months(*ROLLING)
    key = f"enterprise:{enterprise_x.pk}"
    april = Period.month_of(2025, 4)

    ytd = window(key, april.year_to_date())
    assert (ytd["generated_t"], ytd["utilized_t"], ytd["disposed_t"], ytd["utilized_from_prior_storage_t"]) == (
        D(100),
        D(70),
        D(10),
        D(0),
    )
    assert ytd["utilization_rate_pct"] == D("70.0000")
    assert ytd["utilization_disposal_rate_pct"] == D("80.0000")

    rolling = window(key, april.rolling(12))
    assert (rolling["generated_t"], rolling["utilized_t"], rolling["disposed_t"]) == (D(120), D(75), D(10))
    assert rolling["utilization_rate_pct"] == D("62.5000")
    assert rolling["utilization_disposal_rate_pct"] == D("70.8333")
    assert rolling["stored_end_t"] == D(35)

    # The same windows, annotated in SQL on the April row (what the API serves).
    annotated = UtilizationSnapshot.objects.with_windows().get(pk=row("enterprise", enterprise_x, 2025, 4).pk)
    assert (annotated.ytd_generated_t, annotated.ytd_utilized_t, annotated.ytd_utilized_from_prior_storage_t) == (
        D(100),
        D(70),
        D(0),
    )
    assert (annotated.r12_generated_t, annotated.r12_utilized_t, annotated.r12_disposed_t) == (D(120), D(75), D(10))


def test_recomputing_a_period_twice_gives_identical_rows(dataset):
    recompute_months((2025, 3), (2025, 4))
    before = sorted(
        (s.subject_key, s.month_index, s.waste_class, s.category_code, figures(s))
        for s in UtilizationSnapshot.objects.all()
    )
    count = UtilizationSnapshot.objects.count()

    recompute_months((2025, 3), (2025, 4))

    after = sorted(
        (s.subject_key, s.month_index, s.waste_class, s.category_code, figures(s))
        for s in UtilizationSnapshot.objects.all()
    )
    assert UtilizationSnapshot.objects.count() == count
    assert after == before


def test_recomputing_one_park_replaces_its_rows_and_leaves_other_parks_alone(
    dataset, park_a, park_b, preparer_x, x_store
):
    recompute_months((2025, 3))
    park_b_rows = {s.pk for s in UtilizationSnapshot.objects.filter(park=park_b)}
    record(preparer_x, x_store, LedgerStage.GENERATED, 15, at(2025, 3, 6))

    recompute_period(year=2025, month=3, park=park_a)

    assert row("park", park_a, 2025, 3).generated_t == D(115)
    assert row("province", "52", 2025, 3).generated_t == D(115)
    assert {s.pk for s in UtilizationSnapshot.objects.filter(park=park_b)} == park_b_rows


def test_a_recompute_that_fails_half_way_leaves_the_previous_rows(dataset, park_a, monkeypatch):
    recompute_months((2025, 3))
    before = figures(row("park", park_a, 2025, 3))

    write = utilization._write_snapshots

    def write_then_fail(sql, params):
        # The rows are rewritten before the failure.
        assert len(write(sql, params)) > 0
        raise RuntimeError("disk full")

    monkeypatch.setattr(utilization, "_write_snapshots", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        recompute_period(year=2025, month=3, park=park_a)

    assert figures(row("park", park_a, 2025, 3)) == before


def test_recompute_runs_a_constant_number_of_queries(dataset, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        recompute_period(year=2025, month=3)


@pytest.mark.django_db
def test_a_period_in_the_future_is_refused_with_a_clear_error():
    with pytest.raises(PeriodNotComputable, match="in the future"):
        recompute_period(year=2099, month=1)


@pytest.mark.django_db
def test_an_unknown_park_is_refused_with_a_clear_error():
    with pytest.raises(PeriodNotComputable, match="no park with id 987654"):
        resolve_park(987654)


def test_province_rows_have_no_park_and_enterprise_rows_carry_their_park(dataset, enterprise_x, park_a):
    recompute_months((2025, 3))
    assert row("enterprise", enterprise_x, 2025, 3).park == park_a
    province = row("province", "52", 2025, 3)
    assert (province.scope, province.park_id, province.enterprise_id) == (SnapshotScope.PROVINCE, None, None)


def test_a_rate_on_a_rounding_tie_is_rounded_half_up_in_sql_as_in_python(x_store, preparer_x, enterprise_x):
    # 0.0001 t utilized of 1.6 t generated: 0.00625 %, a tie at the fifth place.
    record(preparer_x, x_store, LedgerStage.GENERATED, "1.6", at(2025, 3, 5))
    record(preparer_x, x_store, LedgerStage.UTILIZED_IN_HOUSE, "0.0001", at(2025, 3, 6), method="R9")
    recompute_months((2025, 3))
    snapshot = row("enterprise", enterprise_x, 2025, 3)
    assert snapshot.utilization_rate_pct == D("0.0063") == rate_pct(D("0.0001"), D("1.6"))
