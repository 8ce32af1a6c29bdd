"""CAPACITY_EXCEEDED per licence line: each line counts only what it covers (its code, or its category),
received in the licence's year; general industrial waste never counts against a hazardous waste licence."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.models import PermitLine
from reporting.models import Warning
from reporting.warnings import RULES_BY_CODE, run_rules
from reporting.warnings.base import Context
from tests import factories as f
from tests.transfers.factories import draft, generate, receipt
from transfers import services

pytestmark = pytest.mark.django_db

D = Decimal
RULE = RULES_BY_CODE["CAPACITY_EXCEEDED"]


def scan():
    run_rules(rules=(RULE,))


def live():
    return list(Warning.objects.live().filter(rule=RULE.code).order_by("pk"))


@pytest.fixture
def hw08_licence_line(receiver_r):
    """R's licence: the whole of HW08 with R9, 100 t a year."""
    line = PermitLine.objects.get(permit__enterprise=receiver_r)
    line.waste_code = None
    line.category = f.waste_code("900-249-08").category
    line.annual_capacity_t = D("100")
    line.save()
    return line


@pytest.fixture
def deliver(parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, r_store, clerk_r, advance):
    """deliver(quantity, code, waste_class, facility): a load from X received by R in its store."""

    def _deliver(quantity, code="900-249-08", waste_class="hazardous", facility=x_store, into=r_store):
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=facility,
            code=code,
            quantity=quantity,
            waste_class=waste_class,
        )
        manifest = advance(manifest, "in_transit")
        services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, into))
        return manifest

    return _deliver


@pytest.fixture
def slag(preparer_x, enterprise_x, receiver_r):
    """500 t of general slag in X's yard, and a yard at R to take it."""
    x_yard = f.FacilityFactory(enterprise=enterprise_x, name="X slag yard", kind="yard", capacity_t=1000)
    r_yard = f.FacilityFactory(enterprise=receiver_r, name="R slag yard", kind="yard", capacity_t=1000)
    generate(actor=preparer_x, facility=x_yard, code="SW02", quantity="500")
    return x_yard, r_yard


def test_general_slag_does_not_count_against_a_hw08_licence(deliver, hw08_licence_line, slag):
    x_yard, r_yard = slag
    deliver("500", code="SW02", waste_class="general", facility=x_yard, into=r_yard)
    deliver("10")
    scan()
    assert live() == []  # 10 t of HW08 against 100 t, not 510 t (510 %)


def test_a_hw08_line_beyond_its_scale_is_flagged_naming_the_licence_and_the_line(
    deliver, hw08_licence_line, slag, receiver_r
):
    x_yard, r_yard = slag
    deliver("500", code="SW02", waste_class="general", facility=x_yard, into=r_yard)
    deliver("10")
    PermitLine.objects.filter(pk=hw08_licence_line.pk).update(annual_capacity_t=D("8"))
    scan()
    [warning] = live()
    number = hw08_licence_line.permit.number
    assert (warning.severity, warning.enterprise, warning.permit_id) == (
        "critical",
        receiver_r,
        hw08_licence_line.permit_id,
    )
    assert warning.evidence["received_t"] == "10" and warning.evidence["fill_pct"] == "125"
    assert warning.evidence["line"] == "HW08 R9" and warning.evidence["permit"] == number
    assert f"licence {number}" in warning.message_en and number in warning.message_zh


def test_each_licence_line_counts_only_the_codes_it_covers(deliver, receiver_r):
    [own_code] = PermitLine.objects.filter(permit__enterprise=receiver_r)
    PermitLine.objects.filter(pk=own_code.pk).update(annual_capacity_t=D("9"))
    other_code = f.PermitLineFactory(
        permit=own_code.permit, waste_code=f.waste_code("900-210-08"), annual_capacity_t=D("1")
    )
    deliver("10")  # 900-249-08
    scan()
    [warning] = live()
    assert warning.evidence["line"] == "900-249-08 R9"
    assert warning.dedup_key == f"CAPACITY_EXCEEDED:{own_code.pk}:{timezone.localdate().year}"
    assert other_code.pk not in [int(w.dedup_key.split(":")[1]) for w in live()]


def test_the_rule_reads_every_licence_line_in_a_constant_number_of_queries(deliver, receiver_r, park_a):
    deliver("10")
    PermitLine.objects.filter(permit__enterprise=receiver_r).update(annual_capacity_t=D("5"))

    def queries():
        context = Context(now=timezone.now())
        context.thresholds  # noqa: B018 -- read once per evaluation, not per line
        with CaptureQueriesContext(connection) as captured:
            found = RULE.findings(context)
        return len(found), len(captured)

    one = queries()
    for n in range(3):
        other = f.EnterpriseFactory(name=f"Receiver {n}", park=park_a, is_generator=False, is_receiver=True)
        permit = f.PermitFactory(enterprise=other)
        f.PermitLineFactory(permit=permit, annual_capacity_t=D("5"))
        f.PermitLineFactory(permit=permit, waste_code=f.waste_code("900-210-08"), annual_capacity_t=D("5"))
    PermitLine.objects.filter(permit__enterprise=receiver_r).update(annual_capacity_t=D("4"))
    assert one == (1, 1)
    assert queries() == (1, 1)
