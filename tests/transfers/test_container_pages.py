"""The container pages: labelling a ledger entry, its printed labels, the phone scan page and a container's
history, each behind tenancy and refusing bad input without writing."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from transfers.models import Container, ContainerScan, LedgerEntry, ScanOutcome
from transfers.services.containers import label_containers

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(parties):
    return LedgerEntry.objects.get(stage="generated")


@pytest.fixture
def labelled(entry, preparer_x):
    return label_containers(
        entry=entry,
        actor=preparer_x,
        weights=[Decimal("40"), Decimal("60")],
        packaging_type="drum",
        physical_form="liquid",
        main_components="spent mineral oil",
    )


def test_a_preparer_labels_an_entry_and_is_taken_to_its_labels(client, preparer_x, entry):
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:container_label", args=[entry.pk]),
        {"weights": "25, 25 50", "packaging_type": "drum", "physical_form": "liquid"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("transfers:container_labels", args=[entry.pk])
    assert sorted(entry.containers.values_list("quantity_t", flat=True)) == [25, 25, 50]


@pytest.mark.parametrize("weights", ["", "ten", "NaN", "Infinity 1", "10 -1", "99.99999 0.00001", "50 49"])
def test_bad_weights_are_a_form_error_and_nothing_is_labelled(client, preparer_x, entry, weights):
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:container_label", args=[entry.pk]),
        {"weights": weights, "packaging_type": "drum", "physical_form": "liquid"},
    )
    assert response.status_code == 400
    assert not Container.objects.exists()


def test_the_labels_carry_the_hj_1276_fields_and_a_qr_code(client, preparer_x, entry, labelled, enterprise_x):
    client.force_login(preparer_x)
    response = client.get(reverse("transfers:container_labels", args=[entry.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="label"') == 2
    assert html.count('data-testid="label-qr"><svg') == 2
    for expected in (
        "Hazardous waste",
        "900-249-08",
        entry.waste_code.category.code,
        entry.waste_code.name,
        "Liquid",
        "spent mineral oil",
        enterprise_x.name,
        enterprise_x.contact_phone,
        labelled[0].code,
        labelled[1].code,
        "<td>40</td>",
    ):
        assert expected in html


def test_another_parks_officer_and_another_enterprise_get_404(client, officer_b, preparer_y, entry, labelled):
    for user in (officer_b, preparer_y):
        client.force_login(user)
        assert client.get(reverse("transfers:container_labels", args=[entry.pk])).status_code == 404
        assert client.get(reverse("transfers:container_label", args=[entry.pk])).status_code == 404
        assert client.get(reverse("transfers:container_detail", args=[labelled[0].code])).status_code == 404


def test_a_scan_on_the_phone_page_is_recorded_and_shown_in_the_history(client, preparer_x, labelled, x_store):
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:container_scan"),
        {"code": labelled[0].code.lower(), "step": "storage_in", "facility": x_store.pk},
    )
    assert response.status_code == 200
    assert 'data-testid="scan-result"' in response.content.decode()
    assert ContainerScan.objects.get().outcome == ScanOutcome.OK
    history = client.get(reverse("transfers:container_detail", args=[labelled[0].code]))
    assert "Storage in" in history.content.decode()


@pytest.mark.parametrize("code", ["HW0000000000", "not-an-id", "", "x" * 41])
def test_an_unknown_or_malformed_id_is_a_form_error_and_nothing_is_written(client, preparer_x, labelled, code):
    client.force_login(preparer_x)
    response = client.post(reverse("transfers:container_scan"), {"code": code, "step": "storage_in"})
    assert response.status_code == 400
    assert not ContainerScan.objects.exists()


def test_another_enterprises_label_is_not_found_on_the_scan_page(client, preparer_y, labelled):
    client.force_login(preparer_y)
    response = client.post(reverse("transfers:container_scan"), {"code": labelled[0].code, "step": "storage_in"})
    assert response.status_code == 400
    assert labelled[0].code not in response.content.decode().replace(f'value="{labelled[0].code}"', "")
    assert not ContainerScan.objects.exists()


def test_the_scan_page_works_without_a_camera_and_loads_only_local_script(client, preparer_x):
    client.force_login(preparer_x)
    html = client.get(reverse("transfers:container_scan")).content.decode()
    assert re.search(r'<script src="/static/js/container-scan\.[0-9a-f]+\.js">', html)
    assert 'name="code"' in html


@pytest.fixture
def small_ones(entry, preparer_x):
    return label_containers(
        entry=entry, actor=preparer_x, weights=[Decimal("4"), Decimal("6"), Decimal("90")], packaging_type="drum",
        physical_form="liquid",
    )  # fmt: skip


def test_the_preparer_makes_a_line_of_labelled_containers_from_the_manifest_page(
    client, preparer_x, hazardous_draft, small_ones
):
    client.force_login(preparer_x)
    page = client.get(reverse("transfers:manifest_detail", args=[hazardous_draft.pk])).content.decode()
    assert 'data-testid="load-containers"' in page
    line = hazardous_draft.lines.get()
    response = client.post(
        reverse("transfers:manifest_containers", args=[hazardous_draft.pk]),
        {"line": line.pk, "codes": f"{small_ones[0].code}\n{small_ones[1].code.lower()}"},
    )
    assert response.status_code == 302
    assert set(line.containers.values_list("code", flat=True)) == {small_ones[0].code, small_ones[1].code}
    page = client.get(reverse("transfers:manifest_detail", args=[hazardous_draft.pk])).content.decode()
    assert small_ones[0].code in page and small_ones[1].code in page


@pytest.mark.parametrize("codes", ["", "HW0000000000", "{0}", "{0} {0} {1}"])
def test_containers_that_cannot_make_the_line_are_refused_on_the_page_and_nothing_moves(
    client, preparer_x, hazardous_draft, small_ones, codes
):
    client.force_login(preparer_x)
    codes = codes.format(*(c.code for c in small_ones))
    response = client.post(
        reverse("transfers:manifest_containers", args=[hazardous_draft.pk]),
        {"line": hazardous_draft.lines.get().pk, "codes": codes},
        follow=True,
    )
    assert response.status_code == 200 and 'class="alert alert-danger' in response.content.decode()
    assert not Container.objects.filter(manifest_line__isnull=False).exists()


def test_another_parks_preparer_cannot_load_the_manifest(client, preparer_y, hazardous_draft, small_ones):
    client.force_login(preparer_y)
    response = client.post(
        reverse("transfers:manifest_containers", args=[hazardous_draft.pk]),
        {"line": hazardous_draft.lines.get().pk, "codes": f"{small_ones[0].code} {small_ones[1].code}"},
    )
    assert response.status_code == 404
    assert not Container.objects.filter(manifest_line__isnull=False).exists()


def test_the_driver_sees_the_containers_but_no_form_to_load_them(client, driver_c, hazardous_draft, small_ones):
    client.force_login(driver_c)
    page = client.get(reverse("transfers:manifest_detail", args=[hazardous_draft.pk])).content.decode()
    assert 'data-testid="load-containers"' not in page
