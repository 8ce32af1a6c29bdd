"""Manifest pages: the list, the detail with the actions its viewer may take, and each signature."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories as f
from tests.transfers.factories import draft
from transfers.models import ManifestEvent, ManifestStatus, RevisionRequest, RevisionStatus

pytestmark = pytest.mark.django_db


def detail(manifest):
    return reverse("transfers:manifest_detail", args=[manifest.pk])


def sign(manifest, action):
    return reverse("transfers:manifest_sign", args=[manifest.pk, action])


# --- list -----------------------------------------------------------------------------------------


def test_the_list_shows_a_park_officer_the_manifests_of_the_park(client, officer_a, hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    client.force_login(officer_a)
    response = client.get(reverse("transfers:manifest_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert hazardous_draft.number in html
    assert "Enterprise X (generator)" in html and "Receiver R" in html
    assert "900-249-08" in html


def test_another_parks_officer_and_another_enterprise_see_an_empty_list(client, officer_b, preparer_y, hazardous_draft):
    for user in (officer_b, preparer_y):
        client.force_login(user)
        response = client.get(reverse("transfers:manifest_list"))
        assert response.context["page"].paginator.count == 0


def test_the_list_filters_by_status_code_and_discrepancy(client, officer_a, hazardous_draft, advance, parties):
    submitted = advance(hazardous_draft, "submitted")
    client.force_login(officer_a)
    url = reverse("transfers:manifest_list")
    assert list(client.get(url, {"status": "submitted"}).context["page"]) == [submitted]
    assert list(client.get(url, {"status": "completed"}).context["page"]) == []
    assert list(client.get(url, {"code": "900-249"}).context["page"]) == [submitted]
    assert list(client.get(url, {"code": "841-001"}).context["page"]) == []
    assert list(client.get(url, {"q": submitted.number[:8]}).context["page"]) == [submitted]
    assert list(client.get(url, {"q": "Receiver R"}).context["page"]) == [submitted]
    assert list(client.get(url, {"discrepancy": "on"}).context["page"]) == []


def test_the_list_sorts_by_a_known_column_and_ignores_unknown_ones(client, officer_a, hazardous_draft, advance):
    client.force_login(officer_a)
    url = reverse("transfers:manifest_list")
    assert client.get(url, {"sort": "-number"}).context["sort"] == "-number"
    assert client.get(url, {"sort": "password"}).context["sort"] == "-created_at"


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_runs_a_constant_number_of_queries(
    client,
    officer_a,
    parties,
    enterprise_x,
    carrier_c,
    receiver_r,
    x_store,
    preparer_x,
    django_assert_max_num_queries,
    rows,
):
    for _ in range(rows):
        draft(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            facility=x_store,
            lines=[("900-249-08", "1"), ("900-249-08", "2")],
        )
    client.force_login(officer_a)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("transfers:manifest_list"))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("transfers:manifest_list"), {"export": "csv"}).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, hazardous_draft):
    for url in (
        reverse("transfers:manifest_list"),
        detail(hazardous_draft),
        reverse("transfers:pickup_list"),
        reverse("transfers:manifest_print", args=[hazardous_draft.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    response = client.post(sign(hazardous_draft, "submit"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.DRAFT


# --- detail and tenancy ---------------------------------------------------------------------------


def test_every_party_and_the_parks_officer_see_the_detail(
    client, hazardous_draft, preparer_x, driver_c, clerk_r, officer_a, provincial
):
    for user in (preparer_x, driver_c, clerk_r, officer_a, provincial):
        client.force_login(user)
        assert client.get(detail(hazardous_draft)).status_code == 200, user


@pytest.mark.parametrize("persona", ["officer_b", "preparer_y"])
def test_outsiders_get_404_on_detail_pages_and_actions(client, request, persona, hazardous_draft, advance):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    pk = hazardous_draft.pk
    for name in (
        "manifest_detail",
        "manifest_print",
        "manifest_edit",
        "manifest_pickup",
        "manifest_receive",
        "manifest_treat",
    ):
        assert client.get(reverse(f"transfers:{name}", args=[pk])).status_code == 404, name
    for action in ("submit", "cancel", "reject"):
        assert client.post(sign(hazardous_draft, action), {"reason": "x"}).status_code == 404, action
    assert client.post(reverse("transfers:revision_propose", args=[pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("transfers:manifest_pickup", args=[pk]), {"vehicle_plate": "贵D1"}).status_code == 404
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.DRAFT


def test_the_consignor_is_offered_submit_edit_and_cancel_on_a_draft(client, preparer_x, hazardous_draft):
    client.force_login(preparer_x)
    actions = client.get(detail(hazardous_draft)).context["actions"]
    assert actions.transitions == {"submit", "cancel"}
    assert actions.can_edit and not actions.can_propose


def test_an_officer_and_the_other_parties_are_offered_no_action_on_a_draft(
    client, officer_a, driver_c, clerk_r, hazardous_draft
):
    for user in (officer_a, driver_c, clerk_r):
        client.force_login(user)
        response = client.get(detail(hazardous_draft))
        assert not response.context["actions"].any
        assert 'data-testid="actions"' not in response.content.decode()


def test_each_party_is_offered_its_own_next_step(client, hazardous_draft, advance, driver_c, clerk_r, preparer_x):
    advance(hazardous_draft, "submitted")
    client.force_login(driver_c)
    assert client.get(detail(hazardous_draft)).context["actions"].transitions == {"pickup"}
    client.force_login(preparer_x)
    assert client.get(detail(hazardous_draft)).context["actions"].transitions == {"cancel"}
    advance(hazardous_draft, "in_transit")
    client.force_login(clerk_r)
    assert client.get(detail(hazardous_draft)).context["actions"].transitions == {"receive", "reject"}
    advance(hazardous_draft, "received")
    assert client.get(detail(hazardous_draft)).context["actions"].transitions == {"treat"}


# --- signatures -----------------------------------------------------------------------------------


def test_the_consignor_submits_from_the_detail_page(client, preparer_x, hazardous_draft):
    client.force_login(preparer_x)
    response = client.post(sign(hazardous_draft, "submit"), {"comment": "装车前已核对"})
    assert response.status_code == 302 and response.url == detail(hazardous_draft)
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.SUBMITTED and len(hazardous_draft.number) == 14
    event = ManifestEvent.objects.get(manifest=hazardous_draft, action="submit")
    assert (event.actor, event.source, event.comment) == (preparer_x, "web", "装车前已核对")


def test_a_refused_signature_shows_the_reason_with_its_status_and_changes_nothing(
    client, officer_a, preparer_x, hazardous_draft, advance
):
    client.force_login(officer_a)
    response = client.post(sign(hazardous_draft, "submit"))
    assert response.status_code == 403
    assert "only a" in response.content.decode()
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.DRAFT
    advance(hazardous_draft, "submitted")
    client.force_login(preparer_x)
    response = client.post(sign(hazardous_draft, "submit"))
    assert response.status_code == 409
    assert ManifestEvent.objects.filter(manifest=hazardous_draft, action="submit").count() == 1


def test_an_unknown_action_is_404(client, preparer_x, hazardous_draft):
    client.force_login(preparer_x)
    assert client.post(sign(hazardous_draft, "teleport")).status_code == 404


def test_cancelling_a_submitted_manifest_needs_a_reason(client, preparer_x, hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    client.force_login(preparer_x)
    response = client.post(sign(hazardous_draft, "cancel"), {"reason": " "})
    assert response.status_code == 400
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.SUBMITTED
    client.post(sign(hazardous_draft, "cancel"), {"reason": "客户取消"})
    hazardous_draft.refresh_from_db()
    assert (hazardous_draft.status, hazardous_draft.reason) == (ManifestStatus.CANCELLED, "客户取消")


def test_the_driver_signs_pickup_with_the_plate(client, driver_c, hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    client.force_login(driver_c)
    url = reverse("transfers:manifest_pickup", args=[hazardous_draft.pk])
    assert "driver" not in client.get(url).context["form"].fields
    response = client.post(url, {"vehicle_plate": "贵D12345", "next": reverse("transfers:pickup_list")})
    assert response.status_code == 302 and response.url == reverse("transfers:pickup_list")
    hazardous_draft.refresh_from_db()
    assert (hazardous_draft.status, hazardous_draft.vehicle_plate, hazardous_draft.driver) == (
        ManifestStatus.IN_TRANSIT,
        "贵D12345",
        driver_c,
    )


def test_a_pickup_without_a_plate_shows_the_field_error_and_saves_nothing(client, driver_c, hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    client.force_login(driver_c)
    response = client.post(reverse("transfers:manifest_pickup", args=[hazardous_draft.pk]), {"vehicle_plate": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["vehicle_plate"]
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.SUBMITTED


def test_pickup_next_must_stay_on_this_site(client, driver_c, hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    client.force_login(driver_c)
    response = client.post(
        reverse("transfers:manifest_pickup", args=[hazardous_draft.pk]),
        {"vehicle_plate": "贵D12345", "next": "https://evil.example/"},
    )
    assert response.url == detail(hazardous_draft)


def test_the_pickup_page_lists_only_what_the_drivers_carrier_must_collect(
    client, driver_c, preparer_x, hazardous_draft, advance
):
    client.force_login(driver_c)
    assert client.get(reverse("transfers:pickup_list")).context["items"] == []
    advance(hazardous_draft, "submitted")
    items = client.get(reverse("transfers:pickup_list")).context["items"]
    assert [manifest for manifest, _ in items] == [hazardous_draft]
    client.force_login(preparer_x)
    assert client.get(reverse("transfers:pickup_list")).context["items"] == []


def test_the_receiver_records_receipt_per_line_with_a_discrepancy(client, clerk_r, r_store, hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    client.force_login(clerk_r)
    url = reverse("transfers:manifest_receive", args=[hazardous_draft.pk])
    assert client.get(url).status_code == 200
    data = {
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-0-line_no": "1",
        "line-0-received_quantity_t": "9.2",
        "line-0-acceptance": "accepted",
        "line-0-facility": str(r_store.pk),
        "comment": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.RECEIVED and hazardous_draft.has_discrepancy
    page = client.get(detail(hazardous_draft)).content.decode()
    assert 'data-testid="discrepancy-line"' in page


def test_bad_receipt_input_shows_field_errors_keeps_the_input_and_saves_nothing(
    client, clerk_r, r_store, hazardous_draft, advance
):
    advance(hazardous_draft, "in_transit")
    client.force_login(clerk_r)
    data = {
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-0-line_no": "1",
        "line-0-received_quantity_t": "9.12345",
        "line-0-acceptance": "partially_rejected",
        "line-0-facility": str(r_store.pk),
    }
    response = client.post(reverse("transfers:manifest_receive", args=[hazardous_draft.pk]), data)
    assert response.status_code == 400
    errors = response.context["formset"].forms[0].errors
    assert "received_quantity_t" in errors and "accepted_quantity_t" in errors and "rejection_reason" in errors
    assert 'value="9.12345"' in response.content.decode()
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.IN_TRANSIT
    assert hazardous_draft.lines.get().received_quantity_t is None


def test_a_receipt_the_service_refuses_is_shown_and_nothing_changes(client, clerk_r, r_store, hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    client.force_login(clerk_r)
    data = {
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-0-line_no": "1",
        "line-0-received_quantity_t": "0",
        "line-0-acceptance": "accepted",
        "line-0-facility": str(r_store.pk),
    }
    response = client.post(reverse("transfers:manifest_receive", args=[hazardous_draft.pk]), data)
    assert response.status_code == 400
    assert "nothing received cannot be accepted" in response.content.decode()
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.IN_TRANSIT


def test_the_receiver_records_treatment_and_completes_the_manifest(client, clerk_r, hazardous_draft, advance):
    advance(hazardous_draft, "received")
    client.force_login(clerk_r)
    url = reverse("transfers:manifest_treat", args=[hazardous_draft.pk])
    form = client.get(url).context["formset"].forms[0]
    assert [m.code for m in form.fields["method"].queryset] and all(
        m.kind == "utilization" for m in form.fields["method"].queryset
    )
    data = {
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-0-line_no": "1",
        "line-0-method": str(f.method("R9").pk),
        "line-0-quantity_t": "10",
    }
    assert client.post(url, data).status_code == 302
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.COMPLETED
    assert hazardous_draft.lines.get().treated_quantity_t == Decimal("10")


def test_a_treatment_beyond_the_accepted_quantity_is_refused(client, clerk_r, hazardous_draft, advance):
    advance(hazardous_draft, "received")
    client.force_login(clerk_r)
    data = {
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-0-line_no": "1",
        "line-0-method": str(f.method("R9").pk),
        "line-0-quantity_t": "11",
    }
    response = client.post(reverse("transfers:manifest_treat", args=[hazardous_draft.pk]), data)
    assert response.status_code == 400
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.RECEIVED


def test_the_receiver_rejects_the_whole_load_with_a_reason(client, clerk_r, hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    client.force_login(clerk_r)
    assert client.post(sign(hazardous_draft, "reject"), {"reason": ""}).status_code == 400
    client.post(sign(hazardous_draft, "reject"), {"reason": "包装破损"})
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.REJECTED


def test_a_revision_is_proposed_and_approved_by_the_other_parties(
    client, preparer_x, driver_c, clerk_r, hazardous_draft, advance
):
    advance(hazardous_draft, "submitted")
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:revision_propose", args=[hazardous_draft.pk]),
        {"line_no": "1", "line_field": "packaging_count", "line_value": "7", "reason": "数错了"},
    )
    assert response.status_code == 302
    revision = RevisionRequest.objects.get(manifest=hazardous_draft)
    assert revision.changes == {"manifest": {}, "lines": {"1": {"packaging_count": 7}}}
    assert not client.get(detail(hazardous_draft)).context["actions"].can_decide
    for user in (driver_c, clerk_r):
        client.force_login(user)
        assert client.get(detail(hazardous_draft)).context["actions"].can_decide
        url = reverse("transfers:revision_decide", args=[hazardous_draft.pk, revision.pk, "approve"])
        assert client.post(url, {"comment": "同意"}).status_code == 302
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.APPROVED
    assert hazardous_draft.lines.get().packaging_count == 7
    page = client.get(detail(hazardous_draft)).content.decode()
    assert 'data-testid="revision"' in page


def test_a_revision_without_a_change_or_reason_shows_errors(client, preparer_x, hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    client.force_login(preparer_x)
    response = client.post(reverse("transfers:revision_propose", args=[hazardous_draft.pk]), {"reason": ""})
    assert response.status_code == 400
    assert response.context["revision_form"].errors
    assert not RevisionRequest.objects.exists()


def test_a_refused_revision_decision_from_the_proposer_changes_nothing(
    client, preparer_x, driver_c, hazardous_draft, advance
):
    advance(hazardous_draft, "submitted")
    client.force_login(driver_c)
    client.post(
        reverse("transfers:revision_propose", args=[hazardous_draft.pk]),
        {"vehicle_plate": "贵D99999", "reason": "换车"},
    )
    revision = RevisionRequest.objects.get()
    url = reverse("transfers:revision_decide", args=[hazardous_draft.pk, revision.pk, "approve"])
    assert client.post(url).status_code == 403
    client.force_login(preparer_x)
    assert (
        client.post(
            reverse("transfers:revision_decide", args=[hazardous_draft.pk, revision.pk, "refuse"]),
            {"comment": "不同意"},
        ).status_code
        == 302
    )
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.REFUSED


def test_the_officer_sees_the_signature_timeline(client, officer_a, hazardous_draft, advance):
    advance(hazardous_draft, "completed")
    client.force_login(officer_a)
    response = client.get(detail(hazardous_draft))
    events = response.context["events"]
    assert [event.action for event in events] == ["submit", "pickup", "receive", "treat"]
    html = response.content.decode()
    for text in ("preparer_x", "driver_c", "clerk_r", "Carrier C", "Preparer", "Driver", "Web"):
        assert text in html, text
    # Each step under the label of its action (the event table's choices).
    for text in ("Signed and submitted", "Picked up", "Treatment recorded"):
        assert text in html, text
