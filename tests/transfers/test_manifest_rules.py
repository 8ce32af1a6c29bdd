"""Rules checked at the moment they matter; each refusal names the rule and the numbers and changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from registry.models import EnterpriseStatus, PermitLine, TransferFiling
from tests import factories as f
from tests.transfers.factories import draft, generate, receipt, stock, treatment
from transfers import services
from transfers.models import LedgerEntry, Manifest, ManifestEvent, ManifestSequence, ManifestStatus
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db


def refused(rule, call, **kwargs):
    with pytest.raises(RuleViolation) as error:
        call(**kwargs)
    assert error.value.code == rule, error.value.message
    return error.value.message


class TestPreparingADraft:
    def test_a_receiver_that_is_not_a_receiver_is_refused(self, parties, enterprise_x, carrier_c, x_store, preparer_x):
        refused(
            "not_a_receiver",
            draft,
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=carrier_c,
            facility=x_store,
        )
        assert not Manifest.objects.exists()

    def test_a_carrier_that_is_not_a_carrier_is_refused(self, parties, enterprise_x, receiver_r, x_store, preparer_x):
        refused(
            "not_a_carrier",
            draft,
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=receiver_r,
            receiver=receiver_r,
            facility=x_store,
        )

    def test_a_medical_code_on_a_general_waste_manifest_is_refused(
        self, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
    ):
        message = refused(
            "waste_class_mismatch",
            draft,
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            waste_class="general",
            code="841-001-01",
        )
        assert "841-001-01" in message and "general" in message
        assert not Manifest.objects.exists()

    @pytest.mark.parametrize("quantity", ["0", "-5", "1000000.0001", "0.00001", "NaN", "1e9"])
    def test_zero_negative_or_absurd_declared_quantities_are_refused(
        self, quantity, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
    ):
        refused(
            "invalid_quantity",
            draft,
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            quantity=quantity,
        )
        assert not Manifest.objects.exists()

    def test_a_draft_can_be_edited_until_it_is_signed(self, hazardous_draft, preparer_x, advance):
        services.update_draft(
            manifest=hazardous_draft,
            actor=preparer_x,
            changes={"vehicle_plate": "贵D54321"},
            lines=[
                services.LineInput(
                    waste_code=f.waste_code("900-249-08"),
                    source_facility=hazardous_draft.lines.get().source_facility,
                    declared_quantity_t=Decimal("12"),
                )
            ],
        )
        hazardous_draft.refresh_from_db()
        assert hazardous_draft.vehicle_plate == "贵D54321"
        assert hazardous_draft.lines.get().declared_quantity_t == Decimal("12")
        advance(hazardous_draft, "submitted")
        from wasteparks.errors import TransitionNotAllowed

        with pytest.raises(TransitionNotAllowed):
            services.update_draft(manifest=hazardous_draft, actor=preparer_x, changes={"vehicle_plate": "X"})


class TestSubmission:
    def submit(self, manifest, preparer_x):
        return lambda: services.submit_manifest(manifest=manifest, actor=preparer_x)

    def assert_unchanged(self, manifest):
        manifest.refresh_from_db()
        assert manifest.status == ManifestStatus.DRAFT
        assert manifest.number is None
        assert not ManifestEvent.objects.exists()
        assert not ManifestSequence.objects.exists()  # no number was drawn

    def test_all_parties_must_be_active(self, hazardous_draft, preparer_x, receiver_r):
        receiver_r.status = EnterpriseStatus.SUSPENDED
        receiver_r.save()
        message = refused("party_not_active", self.submit(hazardous_draft, preparer_x))
        assert "Receiver R" in message
        self.assert_unchanged(hazardous_draft)

    def test_the_carrier_needs_a_valid_road_transport_permit(self, hazardous_draft, preparer_x, road_permit):
        road_permit.valid_from = timezone.localdate() - timedelta(days=400)
        road_permit.valid_to = timezone.localdate() - timedelta(days=1)
        road_permit.save()
        message = refused("carrier_permit_invalid", self.submit(hazardous_draft, preparer_x))
        assert str(road_permit.valid_to) in message
        self.assert_unchanged(hazardous_draft)

    def test_the_receiver_must_hold_a_permit_covering_the_code(
        self, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
    ):
        generate(actor=preparer_x, facility=x_store, code="900-218-08", quantity="5")
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            code="900-218-08",
            quantity="5",
        )
        message = refused("permit_not_covering", self.submit(manifest, preparer_x))
        assert "900-218-08" in message and "HW08" in message
        self.assert_unchanged(manifest)

    def test_a_permit_line_for_the_whole_category_covers_the_code(
        self, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
    ):
        permit = receiver_r.permits.get()
        PermitLine.objects.create(
            permit=permit, category=f.waste_code("900-218-08").category, method=f.method("R9"), annual_capacity_t=50
        )
        generate(actor=preparer_x, facility=x_store, code="900-218-08", quantity="5")
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            code="900-218-08",
            quantity="5",
        )
        assert services.submit_manifest(manifest=manifest, actor=preparer_x).status == ManifestStatus.SUBMITTED

    def test_a_permit_that_does_not_cover_the_purpose_is_refused(
        self, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x
    ):
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            purpose="disposal",
        )
        message = refused("permit_not_covering", self.submit(manifest, preparer_x))
        assert "disposal" in message

    def test_an_expired_permit_is_refused_with_its_dates(self, hazardous_draft, preparer_x, receiver_r):
        permit = receiver_r.permits.get()
        permit.valid_to = timezone.localdate() - timedelta(days=1)
        permit.save()
        message = refused("permit_expired", self.submit(hazardous_draft, preparer_x))
        assert str(permit.valid_to) in message and permit.number in message
        self.assert_unchanged(hazardous_draft)


class TestAtPickupAndReceipt:
    def test_pickup_beyond_the_consignors_stock_is_refused_and_moves_nothing(
        self, parties, enterprise_x, carrier_c, receiver_r, x_store, preparer_x, driver_c
    ):
        """Signing checked the stock; what was disposed of in house since is no longer there at pickup."""
        generate(actor=preparer_x, facility=x_store, code="900-249-08", quantity="0.0001")
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            quantity="100.0001",
        )
        services.submit_manifest(manifest=manifest, actor=preparer_x)
        generate(
            actor=preparer_x,
            facility=x_store,
            code="900-249-08",
            quantity="0.0001",
            stage="disposed_in_house",
            method="D10",
        )
        message = refused(
            "insufficient_stock",
            services.pickup_manifest,
            manifest=manifest,
            actor=driver_c,
            vehicle_plate="贵D12345",
        )
        assert "100.0001" in message and "100.0000 t is on hand" in message
        manifest.refresh_from_db()
        assert manifest.status == ManifestStatus.SUBMITTED
        assert manifest.vehicle_plate == ""
        assert not LedgerEntry.objects.filter(stage="shipped").exists()
        assert stock(enterprise_x, x_store, "900-249-08") == Decimal("100")

    def test_pickup_needs_a_vehicle_plate(self, hazardous_draft, advance, driver_c):
        manifest = advance(hazardous_draft, "submitted")
        refused(
            "vehicle_plate_required", services.pickup_manifest, manifest=manifest, actor=driver_c, vehicle_plate=" "
        )

    def test_a_permit_that_expired_during_transit_refuses_the_receipt(
        self, hazardous_draft, advance, clerk_r, receiver_r, r_store, enterprise_x, x_store
    ):
        manifest = advance(hazardous_draft, "in_transit")
        permit = receiver_r.permits.get()
        permit.valid_to = timezone.localdate() - timedelta(days=1)
        permit.save()
        refused(
            "permit_expired",
            services.receive_manifest,
            manifest=manifest,
            actor=clerk_r,
            lines=receipt(manifest, r_store),
        )
        manifest.refresh_from_db()
        assert manifest.status == ManifestStatus.IN_TRANSIT
        assert stock(receiver_r, r_store, "900-249-08") == Decimal("0")
        assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")


class TestTreatment:
    def test_a_method_outside_the_permit_is_refused(self, hazardous_draft, advance, clerk_r, receiver_r, r_store):
        manifest = advance(hazardous_draft, "received")
        message = refused(
            "permit_not_covering",
            services.treat_manifest,
            manifest=manifest,
            actor=clerk_r,
            lines=treatment(manifest, "R15"),
        )
        assert "R15" in message
        manifest.refresh_from_db()
        assert manifest.status == ManifestStatus.RECEIVED
        assert stock(receiver_r, r_store, "900-249-08") == Decimal("10")

    def test_a_method_that_does_not_serve_the_purpose_is_refused(self, hazardous_draft, advance, clerk_r):
        manifest = advance(hazardous_draft, "received")
        refused(
            "method_not_for_purpose",
            services.treat_manifest,
            manifest=manifest,
            actor=clerk_r,
            lines=treatment(manifest, "D10"),
        )

    def test_treatment_beyond_the_remaining_annual_capacity_is_refused_with_the_numbers(
        self, parties, enterprise_x, carrier_c, receiver_r, x_store, r_store, preparer_x, clerk_r, advance
    ):
        first = draft(
            actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store
        )
        second = draft(
            actor=preparer_x, consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store
        )
        advance(first, "completed")
        advance(second, "received")
        # Lowered after both receipts: 20 t received against 15 t would be refused at receipt already.
        PermitLine.objects.filter(permit__enterprise=receiver_r).update(annual_capacity_t=Decimal("15"))
        message = refused(
            "capacity_exceeded", services.treat_manifest, manifest=second, actor=clerk_r, lines=treatment(second, "R9")
        )
        assert "15.0000 t/yr" in message
        assert "10.0000 t already treated" in message
        assert "5.0000 t remaining" in message
        second.refresh_from_db()
        assert second.status == ManifestStatus.RECEIVED
        assert LedgerEntry.objects.filter(stage="utilized_in_house").count() == 1
        assert stock(receiver_r, r_store, "900-249-08") == Decimal("10")

    def test_treating_more_than_was_accepted_is_refused(self, hazardous_draft, advance, clerk_r):
        manifest = advance(hazardous_draft, "received")
        line = manifest.lines.get()
        refused(
            "treated_exceeds_accepted",
            services.treat_manifest,
            manifest=manifest,
            actor=clerk_r,
            lines=[services.TreatmentInput(line_no=1, method=f.method("R9"), quantity_t=line.accepted_quantity_t + 1)],
        )


class TestCrossProvince:
    @pytest.fixture
    def cross(self, parties, enterprise_x, carrier_c, other_province_receiver, x_store, preparer_x):
        def make(quantity="10"):
            return draft(
                actor=preparer_x,
                consignor=enterprise_x,
                carrier=carrier_c,
                receiver=other_province_receiver,
                facility=x_store,
                quantity=quantity,
            )

        return make

    def test_a_cross_province_transfer_without_approval_is_refused(self, cross, preparer_x):
        manifest = cross()
        assert manifest.is_cross_province
        refused("approval_missing", services.submit_manifest, manifest=manifest, actor=preparer_x)

    def test_an_expired_approval_is_refused(self, cross, preparer_x, enterprise_x, other_province_receiver):
        approval = f.TransferApprovalFactory(consignor=enterprise_x, receiver=other_province_receiver)
        approval.valid_to = timezone.localdate() - timedelta(days=1)
        approval.valid_from = approval.valid_to - timedelta(days=100)
        approval.save()
        manifest = cross()
        manifest.approval = approval
        manifest.save()
        message = refused("approval_expired", services.submit_manifest, manifest=manifest, actor=preparer_x)
        assert approval.number in message

    def test_shipments_use_up_the_approval_and_the_one_beyond_it_is_refused(
        self, cross, preparer_x, driver_c, enterprise_x, other_province_receiver, x_store
    ):
        approval = f.TransferApprovalFactory(
            consignor=enterprise_x, receiver=other_province_receiver, approved_quantity_t=Decimal("15")
        )
        first, second = cross(), cross()
        services.submit_manifest(manifest=first, actor=preparer_x)
        services.submit_manifest(manifest=second, actor=preparer_x)
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.approval == approval and second.approval == approval

        services.pickup_manifest(manifest=first, actor=driver_c, vehicle_plate="贵D1")
        approval.refresh_from_db()
        assert approval.quantity_used_t == Decimal("10")

        message = refused(
            "approval_exceeded", services.pickup_manifest, manifest=second, actor=driver_c, vehicle_plate="贵D2"
        )
        assert "15.0000 t" in message and "5.0000 t remaining" in message and "10.0000 t requested" in message
        approval.refresh_from_db()
        second.refresh_from_db()
        assert approval.quantity_used_t == Decimal("10")
        assert second.status == ManifestStatus.SUBMITTED
        assert stock(enterprise_x, x_store, "900-249-08") == Decimal("90")

    def test_an_approval_too_small_refuses_the_submission(
        self, cross, preparer_x, enterprise_x, other_province_receiver
    ):
        f.TransferApprovalFactory(
            consignor=enterprise_x, receiver=other_province_receiver, approved_quantity_t=Decimal("5")
        )
        refused("approval_missing", services.submit_manifest, manifest=cross(), actor=preparer_x)

    def test_general_waste_crosses_provinces_without_an_approval(
        self, parties, enterprise_x, carrier_c, other_province_receiver, x_store, preparer_x
    ):
        generate(actor=preparer_x, facility=x_store, code="SW02", quantity="20")
        manifest = draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=other_province_receiver,
            facility=x_store,
            code="SW02",
            waste_class="general",
        )
        # For utilization a filing with the province it leaves stands in for the approval (test_cross_province_filing).
        TransferFiling.objects.create(
            number="黔固备-001",
            consignor=enterprise_x,
            receiver=other_province_receiver,
            waste_code=f.waste_code("SW02"),
            valid_from=timezone.localdate(),
            valid_to=timezone.localdate(),
            filed_with="贵州省生态环境厅",
            recorded_by=preparer_x,
        )
        services.submit_manifest(manifest=manifest, actor=preparer_x)
        manifest.refresh_from_db()
        assert manifest.is_cross_province and manifest.approval is None
        assert manifest.status == ManifestStatus.SUBMITTED
