"""A receiver corrects what it signed for (received, accepted, treated, the method) through a revision that
the consignor decides; the approval re-books the ledger with reversing and new entries, so both parties'
stock and monthly reports follow. Nobody else proposes the receiver's figures."""

from decimal import Decimal

import pytest
from django.urls import reverse

from reporting.services import reports as report_services
from tests import factories as f
from tests.fixtures.reports import D, at, clock, last_period
from tests.transfers.factories import draft, generate, receipt, stock, treatment
from transfers import services
from transfers.models import Acceptance, LedgerEntry, LedgerStage, RevisionStatus, StockBalance
from wasteparks.errors import NotPermitted, RuleViolation, TransitionNotAllowed

pytestmark = pytest.mark.django_db

HW = "900-249-08"


def correct(manifest, actor, reason="weighbridge recalibrated", **fields):
    return services.propose_revision(manifest=manifest, actor=actor, changes={"lines": {"1": fields}}, reason=reason)


def ledger_rows():
    return list(LedgerEntry.objects.order_by("pk").values_list("pk", "stage", "quantity_t", "reverses_id"))


@pytest.fixture
def completed(hazardous_draft, advance):
    """10 t of 900-249-08 from X's store, received in full by R into its store and utilized (R9)."""
    return advance(hazardous_draft, "completed")


@pytest.fixture
def scripted(preparer_x, driver_c, clerk_r, enterprise_x, carrier_c, receiver_r, x_store, r_store, road_permit):
    """Last month: X generated 100 t (day 2) and shipped 10 t to R (day 5); R received all 10 t (day 6) and
    utilized them (day 7)."""
    period = last_period()
    with clock(at(period, 2)):
        generate(actor=preparer_x, facility=x_store, code=HW, quantity="100")
    with clock(at(period, 5)):
        manifest = draft(
            actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store
        )
        services.submit_manifest(manifest=manifest, actor=preparer_x)
        services.pickup_manifest(manifest=manifest, actor=driver_c, vehicle_plate="贵D12345")
    with clock(at(period, 6)):
        services.receive_manifest(manifest=manifest, actor=clerk_r, lines=receipt(manifest, r_store))
    with clock(at(period, 7)):
        services.treat_manifest(manifest=manifest, actor=clerk_r, lines=treatment(manifest, "R9"))
    manifest.refresh_from_db()
    return {"period": period, "manifest": manifest}


def prefill(actor, enterprise, period) -> dict:
    report = report_services.create_monthly_report(
        actor=actor, enterprise=enterprise, year=period.year, month=period.month
    )
    return report.current_revision.lines.get(waste_code__code=HW).figures()


def test_a_receiver_corrects_a_received_quantity_by_revision_and_the_ledger_stock_and_report_prefill_follow(
    scripted, clerk_r, preparer_x, enterprise_x, receiver_r, x_store, r_store
):
    """R finds two of the ten tonnes were rainwater it should not have accepted: received 10 t stays,
    accepted becomes 8 t (2 t go back to X), and the utilization follows the accepted 8 t."""
    manifest, period = scripted["manifest"], scripted["period"]
    entries_before = ledger_rows()
    revision = correct(manifest, clerk_r, reason="2 t were rainwater", accepted_quantity_t="8")
    assert revision.proposing_party == "receiver"
    assert revision.changes == {"manifest": {}, "lines": {"1": {"accepted_quantity_t": "8", "treated_quantity_t": "8"}}}
    assert revision.previous["lines"]["1"] == {"accepted_quantity_t": "10.0000", "treated_quantity_t": "10.0000"}
    assert ledger_rows() == entries_before  # nothing moves before the consignor decides

    services.decide_revision(revision=revision, actor=preparer_x, approve=True)  # the consignor alone decides

    revision.refresh_from_db()
    manifest.refresh_from_db()
    line = manifest.lines.get()
    assert revision.status == RevisionStatus.APPROVED
    assert (line.received_quantity_t, line.accepted_quantity_t, line.treated_quantity_t) == (D(10), D(8), D(8))
    assert line.acceptance == Acceptance.PARTIALLY_REJECTED and line.rejection_reason == "2 t were rainwater"
    # The ledger: the old rows are untouched; the receipt and the treatment are reversed and booked again.
    assert ledger_rows()[: len(entries_before)] == entries_before
    reversed_stages = sorted(
        LedgerEntry.objects.filter(reverses__isnull=False).values_list("stage", "enterprise", "quantity_t")
    )
    assert reversed_stages == [
        (LedgerStage.RECEIVED, receiver_r.pk, D(-10)),
        (LedgerStage.UTILIZED_IN_HOUSE, receiver_r.pk, D(-10)),
    ]
    standing = LedgerEntry.objects.standing().filter(manifest_line=line)
    assert sorted(standing.values_list("stage", "enterprise", "quantity_t")) == [
        (LedgerStage.RECEIVED, enterprise_x.pk, D(2)),  # back into X's stock
        (LedgerStage.RECEIVED, receiver_r.pk, D(8)),
        (LedgerStage.SHIPPED, enterprise_x.pk, D(10)),
        (LedgerStage.UTILIZED_IN_HOUSE, receiver_r.pk, D(8)),
    ]
    assert {entry.occurred_at for entry in standing.filter(stage=LedgerStage.RECEIVED)} == {manifest.received_at}
    # Stock of both parties.
    assert (stock(enterprise_x, x_store, HW), stock(receiver_r, r_store, HW)) == (D(92), D(0))
    assert not StockBalance.objects.drifted().exists()
    # The month the receipt fell in reads as if 8 t had been accepted.
    x_figures = prefill(preparer_x, enterprise_x, period)
    assert (x_figures["received"], x_figures["shipped_for_utilization"], x_figures["closing_stock"]) == (
        D(2),
        D(10),
        D(92),
    )
    r_figures = prefill(clerk_r, receiver_r, period)
    assert (r_figures["received"], r_figures["utilized_in_house"], r_figures["closing_stock"]) == (D(8), D(8), D(0))


def test_a_received_quantity_corrected_down_is_followed_by_a_line_accepted_and_treated_in_full(
    completed, clerk_r, preparer_x, receiver_r, r_store
):
    revision = correct(completed, clerk_r, received_quantity_t="9")
    assert set(revision.changes["lines"]["1"]) == {"received_quantity_t", "accepted_quantity_t", "treated_quantity_t"}
    services.decide_revision(revision=revision, actor=preparer_x, approve=True)
    completed.refresh_from_db()
    line = completed.lines.get()
    assert (line.received_quantity_t, line.accepted_quantity_t, line.treated_quantity_t) == (D(9), D(9), D(9))
    assert line.acceptance == Acceptance.ACCEPTED
    assert line.is_discrepancy and completed.has_discrepancy  # 10 % off the declared 10 t
    assert stock(receiver_r, r_store, HW) == D(0)
    treated = LedgerEntry.objects.standing().get(stage=LedgerStage.UTILIZED_IN_HOUSE)
    assert treated.quantity_t == D(9)


def test_a_treatment_method_is_corrected_and_the_ledger_follows(completed, clerk_r, preparer_x, receiver_r):
    permit = receiver_r.permits.get()
    f.PermitLineFactory(permit=permit, waste_code=f.waste_code(HW), method=f.method("R4"))
    revision = correct(completed, clerk_r, treatment_method="R4")
    services.decide_revision(revision=revision, actor=preparer_x, approve=True)
    assert completed.lines.get().treatment_method.code == "R4"
    assert LedgerEntry.objects.standing().get(stage=LedgerStage.UTILIZED_IN_HOUSE).method.code == "R4"


class TestOnlyTheReceiverProposesAndTheConsignorDecides:
    def test_the_carrier_cannot_propose_a_received_figure(self, completed, driver_c):
        with pytest.raises(NotPermitted):
            correct(completed, driver_c, received_quantity_t="9")
        assert not completed.revisions.exists()

    def test_the_consignor_cannot_propose_a_received_figure(self, completed, preparer_x):
        with pytest.raises(NotPermitted) as refused:
            correct(completed, preparer_x, received_quantity_t="9")
        assert refused.value.code == "receiver_figures_only"
        assert not completed.revisions.exists()

    def test_neither_the_carrier_nor_the_receiver_decides_it(self, completed, clerk_r, driver_c):
        revision = correct(completed, clerk_r, received_quantity_t="9")
        for other in (driver_c, clerk_r):
            with pytest.raises(NotPermitted):
                services.decide_revision(revision=revision, actor=other, approve=True)
        revision.refresh_from_db()
        assert revision.status == RevisionStatus.PENDING and not revision.decisions.exists()

    def test_a_refusal_by_the_consignor_changes_nothing(self, completed, clerk_r, preparer_x, receiver_r, r_store):
        entries = ledger_rows()
        revision = correct(completed, clerk_r, received_quantity_t="9")
        services.decide_revision(revision=revision, actor=preparer_x, approve=False, comment="our scale says 10")
        assert completed.lines.get().received_quantity_t == D(10)
        assert ledger_rows() == entries

    def test_only_the_consignor_is_offered_the_decision_on_the_page(
        self, client, completed, clerk_r, preparer_x, driver_c
    ):
        correct(completed, clerk_r, received_quantity_t="9")
        url = reverse("transfers:manifest_detail", args=[completed.pk])
        for user, can_decide in ((preparer_x, True), (driver_c, False), (clerk_r, False)):
            client.force_login(user)
            assert client.get(url).context["actions"].can_decide is can_decide


class TestRefusedCorrections:
    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"accepted_quantity_t": "10.5"}, "invalid_acceptance"),  # more than received
            ({"received_quantity_t": "9", "accepted_quantity_t": "9.5"}, "invalid_acceptance"),
            ({"accepted_quantity_t": "0"}, "invalid_acceptance"),  # refusing the load is not a correction
            ({"received_quantity_t": "0"}, "invalid_acceptance"),
            ({"treated_quantity_t": "10.0001"}, "treated_exceeds_accepted"),
            ({"received_quantity_t": "abc"}, "invalid_quantity"),
            ({"received_quantity_t": "-1"}, "invalid_quantity"),
            ({"received_quantity_t": "2000000"}, "invalid_quantity"),
            ({"treatment_method": "D10"}, "method_not_for_purpose"),  # a disposal method on a utilization manifest
            ({"treatment_method": "R99"}, "method_not_for_purpose"),
            ({"treated_quantity_t": "10"}, "invalid_revision"),  # the figure already signed
        ],
    )
    def test_figures_outside_the_receipt_rules_are_refused(self, completed, clerk_r, fields, code):
        with pytest.raises(RuleViolation) as refused:
            correct(completed, clerk_r, **fields)
        assert refused.value.code == code
        assert not completed.revisions.exists()

    def test_nothing_received_yet_is_nothing_to_correct(self, hazardous_draft, advance, clerk_r):
        in_transit = advance(hazardous_draft, "in_transit")
        with pytest.raises(RuleViolation) as refused:
            correct(in_transit, clerk_r, received_quantity_t="9")
        assert refused.value.code == "receipt_not_signed"

    def test_no_treatment_yet_is_no_treatment_to_correct(self, hazardous_draft, advance, clerk_r):
        received = advance(hazardous_draft, "received")
        with pytest.raises(RuleViolation) as refused:
            correct(received, clerk_r, treated_quantity_t="9")
        assert refused.value.code == "treatment_not_recorded"

    def test_a_treatment_beyond_the_licensed_annual_capacity_is_refused(self, completed, clerk_r, receiver_r):
        receiver_r.permits.get().lines.update(annual_capacity_t=Decimal("10"))
        with pytest.raises(RuleViolation) as refused:
            correct(completed, clerk_r, received_quantity_t="10.5")
        assert refused.value.code == "capacity_exceeded"

    def test_a_correction_outdated_by_the_treatment_is_not_applied(
        self, hazardous_draft, advance, clerk_r, preparer_x, receiver_r, r_store
    ):
        received = advance(hazardous_draft, "received")
        revision = correct(received, clerk_r, received_quantity_t="9")
        services.treat_manifest(manifest=received, actor=clerk_r, lines=treatment(received, "R9"))  # 10 t treated
        entries = ledger_rows()
        with pytest.raises(TransitionNotAllowed) as refused:
            services.decide_revision(revision=revision, actor=preparer_x, approve=True)
        assert refused.value.code == "revision_outdated"
        revision.refresh_from_db()
        assert revision.status == RevisionStatus.PENDING
        assert received.lines.get().received_quantity_t == D(10)
        assert ledger_rows() == entries

    def test_a_correction_the_receivers_stock_can_no_longer_give_back_is_refused_at_approval(
        self, hazardous_draft, advance, clerk_r, preparer_x, receiver_r, r_store
    ):
        """R received 10 t and then disposed of all of it in house by hand: 2 t fewer received cannot leave
        a store that holds nothing."""
        received = advance(hazardous_draft, "received")
        generate(actor=clerk_r, facility=r_store, code=HW, quantity="10", stage="disposed_in_house", method="D10")
        revision = correct(received, clerk_r, received_quantity_t="8")
        entries = ledger_rows()
        with pytest.raises(RuleViolation) as refused:
            services.decide_revision(revision=revision, actor=preparer_x, approve=True)
        assert refused.value.code == "insufficient_stock"
        assert received.lines.get().received_quantity_t == D(10)
        assert ledger_rows() == entries
        assert stock(receiver_r, r_store, HW) == D(0)


# --- the page -------------------------------------------------------------------------------------------


def revision_data(field, value, reason="weighbridge recalibrated"):
    return {"line_no": "1", "line_field": field, "line_value": value, "reason": reason}


def test_the_receiver_proposes_and_the_consignor_approves_on_the_manifest_page(
    client, completed, clerk_r, preparer_x, receiver_r, r_store
):
    client.force_login(clerk_r)
    response = client.post(
        reverse("transfers:revision_propose", args=[completed.pk]), revision_data("received_quantity_t", "9.5")
    )
    assert response.status_code == 302
    revision = completed.revisions.get()
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:revision_decide", args=[completed.pk, revision.pk, "approve"]), {"comment": ""}
    )
    assert response.status_code == 302
    assert completed.lines.get().received_quantity_t == D("9.5")
    assert LedgerEntry.objects.standing().get(stage=LedgerStage.RECEIVED).quantity_t == D("9.5")


def test_the_page_refuses_the_carriers_received_figure_and_records_nothing(client, completed, driver_c):
    client.force_login(driver_c)
    response = client.post(
        reverse("transfers:revision_propose", args=[completed.pk]), revision_data("received_quantity_t", "9")
    )
    assert response.status_code == 403
    assert "Only the receiver" in response.content.decode()
    assert not completed.revisions.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("received_quantity_t", "lots"), ("accepted_quantity_t", "11"), ("treatment_method", "X1")]
)
def test_the_page_refuses_bad_figures_and_records_nothing(client, completed, clerk_r, field, value):
    client.force_login(clerk_r)
    response = client.post(reverse("transfers:revision_propose", args=[completed.pk]), revision_data(field, value))
    assert response.status_code == 400
    assert not completed.revisions.exists()


def test_another_tenant_cannot_reach_the_correction(client, completed, preparer_y):
    client.force_login(preparer_y)
    response = client.post(
        reverse("transfers:revision_propose", args=[completed.pk]), revision_data("received_quantity_t", "9")
    )
    assert response.status_code == 404
    assert not completed.revisions.exists()
