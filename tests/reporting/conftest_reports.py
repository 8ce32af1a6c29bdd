"""Monthly report fixtures: a scripted month of ledger entries and manifests at enterprise X, signed
through the transfer services at fixed times of the previous calendar month (Asia/Shanghai).

The stores, the road permit and viewer_x come from tests/reporting/conftest.py.
Import into a test module with `from tests.reporting.conftest_reports import *`.
"""

from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from registry.models import FacilityKind
from reporting.rules.reports import PERIOD_ZONE, Period
from reporting.services import reports as report_services
from tests import factories as f
from tests.transfers.factories import draft, receipt, treatment
from transfers import services as transfer_services
from transfers.models import LedgerStage, Purpose

__all__ = [
    "D",
    "clock",
    "at",
    "last_period",
    "x_yard",
    "scripted_month",
    "report_x",
    "record",
    "make_report",
]

HW = "900-249-08"
SW = "SW07"


def D(value) -> Decimal:
    return Decimal(str(value))


@contextmanager
def clock(moment: datetime):
    """Make the services believe it is `moment` (they read django.utils.timezone.now)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def last_period() -> Period:
    return Period.containing(timezone.now()).previous()


def at(period: Period, day: int, hour: int = 10) -> datetime:
    return datetime(period.year, period.month, day, hour, tzinfo=PERIOD_ZONE)


def record(*, actor, facility, code: str, stage: str, quantity, when: datetime, method: str | None = None):
    with clock(when):
        return transfer_services.record_ledger_entry(
            actor=actor,
            enterprise=facility.enterprise,
            facility=facility,
            waste_code=f.waste_code(code),
            stage=stage,
            quantity_t=D(quantity),
            occurred_at=when,
            method=f.method(method) if method else None,
        )


@pytest.fixture
def x_yard(enterprise_x):
    return f.FacilityFactory(enterprise=enterprise_x, name="X yard", kind=FacilityKind.YARD, capacity_t=500)


def _ship(*, when, purpose, quantity, preparer_x, driver_c, clerk_r, enterprise_x, carrier_c, receiver_r, x_store):
    with clock(when):
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            quantity=quantity,
            purpose=purpose,
        )
        transfer_services.submit_manifest(manifest=manifest, actor=preparer_x)
        transfer_services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")
    return manifest


@pytest.fixture
def scripted_month(
    preparer_x, driver_c, clerk_r, enterprise_x, carrier_c, receiver_r, x_store, x_yard, r_store, road_permit
):
    """Enterprise X's last month, and the month before it:

    before the month   generated 40 t of 900-249-08                        → opening 40
    day 2              generated 25.5 t
    day 3              utilized in house 5 t (R9)
    day 4              disposed of in house 2.25 t (D10)
    day 5..7           manifest M1, utilization, 10 t: picked up, received by R, treated R9
    day 8              manifest M2, disposal, 8 t: picked up, not yet received
    day 9..10          manifest M3, utilization, 6 t: picked up, then refused by R (6 t come back)
    day 11             3 t moved from the store to the yard (not in the report)
    day 12             generated 100 t of SW07 (general sludge)
    this month         generated 7 t of 900-249-08                          → not in last month

    900-249-08: 40 + 25.5 + 6 − 5 − 2.25 − 16 (utilization) − 8 (disposal) = 40.25 closing.
    Receiver R: received 10, utilized in house 10 (the treatment of M1).
    """
    period = last_period()
    permit = receiver_r.permits.get()
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code(HW), method=f.method("D10"))
    parties = {
        "preparer_x": preparer_x,
        "driver_c": driver_c,
        "clerk_r": clerk_r,
        "enterprise_x": enterprise_x,
        "carrier_c": carrier_c,
        "receiver_r": receiver_r,
        "x_store": x_store,
    }
    record(
        actor=preparer_x,
        facility=x_store,
        code=HW,
        stage=LedgerStage.GENERATED,
        quantity="40",
        when=at(period.previous(), 10),
    )
    record(
        actor=preparer_x, facility=x_store, code=HW, stage=LedgerStage.GENERATED, quantity="25.5", when=at(period, 2)
    )
    record(
        actor=preparer_x,
        facility=x_store,
        code=HW,
        stage=LedgerStage.UTILIZED_IN_HOUSE,
        quantity="5",
        when=at(period, 3),
        method="R9",
    )
    record(
        actor=preparer_x,
        facility=x_store,
        code=HW,
        stage=LedgerStage.DISPOSED_IN_HOUSE,
        quantity="2.25",
        when=at(period, 4),
        method="D10",
    )
    m1 = _ship(when=at(period, 5), purpose=Purpose.UTILIZATION, quantity="10", **parties)
    with clock(at(period, 6)):
        transfer_services.receive_manifest(manifest=m1, actor=clerk_r, lines=receipt(m1, r_store))
    with clock(at(period, 7)):
        transfer_services.treat_manifest(manifest=m1, actor=clerk_r, lines=treatment(m1, "R9"))
    m2 = _ship(when=at(period, 8), purpose=Purpose.DISPOSAL, quantity="8", **parties)
    m3 = _ship(when=at(period, 9), purpose=Purpose.UTILIZATION, quantity="6", **parties)
    with clock(at(period, 10)):
        transfer_services.reject_manifest(manifest=m3, actor=clerk_r, reason="Drums leaking")
    record(actor=preparer_x, facility=x_store, code=HW, stage=LedgerStage.STORED_OUT, quantity="3", when=at(period, 11))
    record(actor=preparer_x, facility=x_yard, code=HW, stage=LedgerStage.STORED_IN, quantity="3", when=at(period, 11))
    record(
        actor=preparer_x, facility=x_store, code=SW, stage=LedgerStage.GENERATED, quantity="100", when=at(period, 12)
    )
    record(actor=preparer_x, facility=x_store, code=HW, stage=LedgerStage.GENERATED, quantity="7", when=timezone.now())
    return {"period": period, "m1": m1, "m2": m2, "m3": m3}


@pytest.fixture
def report_x(scripted_month, preparer_x, enterprise_x):
    """Enterprise X's draft report of the scripted month."""
    period = scripted_month["period"]
    return report_services.create_monthly_report(
        actor=preparer_x, enterprise=enterprise_x, year=period.year, month=period.month
    )


def make_report(*, enterprise, period: Period, status: str = "draft", lines: dict | None = None, user=None):
    """A report written straight to the tables (for list, filter and summary tests): `lines` maps a
    waste code to {figure: value}; prefilled values equal the figures, closing stock balances."""
    from reporting.models import MonthlyReport, MonthlyReportLine, MonthlyReportRevision
    from reporting.rules.reports import FIGURES, expected_closing

    user = user or f.UserFactory(username="filer")
    filed = status != "draft"
    report = MonthlyReport.objects.create(
        enterprise=enterprise,
        year=period.year,
        month=period.month,
        status=status,
        created_by=user,
        first_submitted_at=period.end if filed else None,
        submitted_at=period.end if filed else None,
    )
    revision = MonthlyReportRevision.objects.create(report=report, number=1, submitted_at=period.end if filed else None)
    report.current_revision = revision
    report.save(update_fields=["current_revision"])
    rows = []
    for code, given in (lines or {}).items():
        figures = {name: D(given.get(name, 0)) for name in FIGURES}
        figures["closing_stock"] = expected_closing(figures)
        values = {f"{name}_t": value for name, value in figures.items()}
        values.update({f"{name}_prefill_t": value for name, value in figures.items()})
        rows.append(MonthlyReportLine(revision=revision, waste_code=f.waste_code(code), **values))
    MonthlyReportLine.objects.bulk_create(rows)
    return report
