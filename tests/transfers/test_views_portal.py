"""The enterprise portal: preparing a manifest and recording ledger entries through the forms."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from transfers.models import LedgerEntry, LedgerStage, Manifest, ManifestStatus

pytestmark = pytest.mark.django_db


def manifest_data(*, consignor, carrier, receiver, facility, quantity="10", lines=1, **extra):
    data = {
        "consignor": consignor.pk,
        "carrier": carrier.pk,
        "receiver": receiver.pk,
        "waste_class": "hazardous",
        "purpose": "utilization",
        "planned_date": (timezone.localdate() + timedelta(days=45)).isoformat(),
        "vehicle_plate": "",
        "line-TOTAL_FORMS": str(lines),
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "50",
    }
    for index in range(lines):
        data.update(
            {
                f"line-{index}-waste_code": "900-249-08",
                f"line-{index}-source_facility": facility.pk,
                f"line-{index}-declared_quantity_t": quantity,
                f"line-{index}-packaging_type": "drum",
                f"line-{index}-packaging_count": "4",
                f"line-{index}-physical_form": "liquid",
                f"line-{index}-batch_code": "B-7",
            }
        )
    data.update(extra)
    return data


def test_the_consignor_prepares_a_draft_with_two_lines(
    client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store
):
    client.force_login(preparer_x)
    page = client.get(reverse("transfers:manifest_new"))
    assert page.status_code == 200 and 'id="waste-codes"' in page.content.decode()
    data = manifest_data(consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store, lines=2)
    response = client.post(reverse("transfers:manifest_new"), data)
    manifest = Manifest.objects.get()
    assert response.status_code == 302 and response.url == reverse("transfers:manifest_detail", args=[manifest.pk])
    assert manifest.status == ManifestStatus.DRAFT and manifest.created_by == preparer_x
    assert [line.declared_quantity_t for line in manifest.lines.order_by("line_no")] == [Decimal("10")] * 2


def test_add_a_line_re_renders_the_form_with_one_more_line_and_saves_nothing(
    client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store
):
    client.force_login(preparer_x)
    data = manifest_data(consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store, add_line="1")
    response = client.post(reverse("transfers:manifest_new"), data)
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert not Manifest.objects.exists()


def test_bad_manifest_input_shows_field_errors_keeps_input_and_saves_nothing(
    client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store
):
    client.force_login(preparer_x)
    data = manifest_data(
        consignor=enterprise_x,
        carrier=carrier_c,
        receiver=receiver_r,
        facility=x_store,
        quantity="-3",
        vehicle_plate="贵D55555",
    )
    data["line-0-waste_code"] = "999-999-99"
    response = client.post(reverse("transfers:manifest_new"), data)
    assert response.status_code == 400
    line_errors = response.context["formset"].forms[0].errors
    assert "declared_quantity_t" in line_errors and "waste_code" in line_errors
    html = response.content.decode()
    assert 'value="贵D55555"' in html and 'value="999-999-99"' in html
    assert "is-invalid" in html
    assert not Manifest.objects.exists()


def test_a_rule_the_service_enforces_comes_back_on_the_form(
    client, parties, preparer_x, enterprise_x, carrier_c, x_store
):
    client.force_login(preparer_x)
    data = manifest_data(consignor=enterprise_x, carrier=carrier_c, receiver=carrier_c, facility=x_store)
    response = client.post(reverse("transfers:manifest_new"), data)
    # The form offers only receivers: the choice is refused before the service runs.
    assert response.status_code == 400 and "receiver" in response.context["form"].errors
    general = manifest_data(
        consignor=enterprise_x,
        carrier=carrier_c,
        receiver=f.EnterpriseFactory(is_receiver=True),
        facility=x_store,
        waste_class="general",
    )
    response = client.post(reverse("transfers:manifest_new"), general)
    assert response.status_code == 400
    assert "cannot go on a general manifest" in response.content.decode()
    assert not Manifest.objects.exists()


def test_only_members_who_sign_for_a_consignor_may_choose_it(
    client, parties, driver_c, enterprise_x, carrier_c, receiver_r, x_store
):
    client.force_login(driver_c)
    data = manifest_data(consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    response = client.post(reverse("transfers:manifest_new"), data)
    assert response.status_code == 400 and "consignor" in response.context["form"].errors
    assert not Manifest.objects.exists()


def test_the_consignor_edits_a_draft(client, preparer_x, hazardous_draft, enterprise_x, carrier_c, receiver_r, x_store):
    client.force_login(preparer_x)
    url = reverse("transfers:manifest_edit", args=[hazardous_draft.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["formset"].forms[0].initial["waste_code"] == "900-249-08"
    data = manifest_data(
        consignor=enterprise_x,
        carrier=carrier_c,
        receiver=receiver_r,
        facility=x_store,
        quantity="12.5",
        vehicle_plate="贵D00001",
    )
    data.pop("consignor")
    assert client.post(url, data).status_code == 302
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.vehicle_plate == "贵D00001"
    assert hazardous_draft.lines.get().declared_quantity_t == Decimal("12.5")


def test_a_signed_manifest_cannot_be_edited(client, preparer_x, hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    client.force_login(preparer_x)
    response = client.get(reverse("transfers:manifest_edit", args=[hazardous_draft.pk]))
    assert response.status_code == 302


def test_another_party_cannot_edit_a_draft(
    client, driver_c, hazardous_draft, enterprise_x, carrier_c, receiver_r, x_store
):
    client.force_login(driver_c)
    data = manifest_data(
        consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store, quantity="99"
    )
    response = client.post(reverse("transfers:manifest_edit", args=[hazardous_draft.pk]), data)
    assert response.status_code in (400, 403)
    assert hazardous_draft.lines.get().declared_quantity_t == Decimal("10")


# --- ledger entries -------------------------------------------------------------------------------


def entry_data(enterprise, facility, **extra):
    data = {
        "enterprise": enterprise.pk,
        "facility": facility.pk,
        "stage": "generated",
        "waste_code": "900-249-08",
        "quantity_t": "3.5",
        "occurred_at": "",
        "method": "",
        "batch_code": "G-1",
        "note": "",
    }
    data.update(extra)
    return data


def test_a_member_records_generation(client, preparer_x, enterprise_x, x_store):
    client.force_login(preparer_x)
    assert client.get(reverse("transfers:ledger_new")).status_code == 200
    response = client.post(reverse("transfers:ledger_new"), entry_data(enterprise_x, x_store))
    assert response.status_code == 302 and response.url == reverse("transfers:ledger_list")
    entry = LedgerEntry.objects.get()
    assert (entry.stage, entry.quantity_t, entry.recorded_by) == (LedgerStage.GENERATED, Decimal("3.5"), preparer_x)


def test_in_house_utilization_needs_a_utilization_method(client, preparer_x, enterprise_x, x_store):
    client.force_login(preparer_x)
    client.post(reverse("transfers:ledger_new"), entry_data(enterprise_x, x_store, quantity_t="5"))
    response = client.post(
        reverse("transfers:ledger_new"), entry_data(enterprise_x, x_store, stage="utilized_in_house")
    )
    assert response.status_code == 400 and "method" in response.context["form"].errors
    disposal = f.method("D10")
    response = client.post(
        reverse("transfers:ledger_new"),
        entry_data(enterprise_x, x_store, stage="utilized_in_house", method=disposal.pk),
    )
    assert response.status_code == 400 and "method" in response.context["form"].errors
    response = client.post(
        reverse("transfers:ledger_new"),
        entry_data(enterprise_x, x_store, stage="utilized_in_house", method=f.method("R9").pk),
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(stage="utilized_in_house").count() == 1


def test_taking_out_more_than_is_stored_is_refused_next_to_the_quantity(client, preparer_x, enterprise_x, x_store):
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:ledger_new"),
        entry_data(enterprise_x, x_store, stage="disposed_in_house", method=f.method("D10").pk),
    )
    assert response.status_code == 400
    assert "Not enough stock" in " ".join(response.context["form"].errors["quantity_t"])
    assert 'value="3.5"' in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_bad_ledger_input_shows_field_errors_and_saves_nothing(client, preparer_x, enterprise_x, x_store, enterprise_y):
    other = f.FacilityFactory(enterprise=enterprise_y)
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:ledger_new"), entry_data(enterprise_x, other, quantity_t="0", stage="shipped")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"facility", "quantity_t", "stage"} <= set(errors)
    assert not LedgerEntry.objects.exists()


def test_an_officer_or_viewer_cannot_record_for_an_enterprise(client, officer_a, viewer_x, enterprise_x, x_store):
    for user in (officer_a, viewer_x):
        client.force_login(user)
        response = client.post(reverse("transfers:ledger_new"), entry_data(enterprise_x, x_store))
        assert response.status_code == 400 and "enterprise" in response.context["form"].errors
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("total", ["abc", "²", "-1", ""])
def test_adding_a_line_with_a_mangled_form_count_redraws_the_form(
    client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, total
):
    client.force_login(preparer_x)
    data = manifest_data(consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    data.update({"line-TOTAL_FORMS": total, "add_line": "1"})
    response = client.post(reverse("transfers:manifest_new"), data)
    assert response.status_code in (200, 400)
    assert not Manifest.objects.exists()


def test_a_form_count_of_a_thousand_builds_no_more_forms_than_a_manifest_may_have(
    client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, django_assert_max_num_queries
):
    client.force_login(preparer_x)
    data = manifest_data(consignor=enterprise_x, carrier=carrier_c, receiver=receiver_r, facility=x_store)
    data["line-TOTAL_FORMS"] = "1000"
    with django_assert_max_num_queries(100):  # about one query per line form, and at most 50 forms
        response = client.post(reverse("transfers:manifest_new"), data)
    assert response.status_code in (200, 400)
    assert len(response.context["formset"].forms) <= 50
    assert not Manifest.objects.exists()
