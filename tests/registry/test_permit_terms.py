"""Licence terms by kind (art. 12 of the Measures for the Administration of Hazardous Waste Operating
Licences): a comprehensive operating licence runs 5 years at most, a collection licence 3; a permit
recorded with a longer term is refused where permits are recorded (the model's validation, which the
admin runs)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry.models import Permit, PermitKind
from tests.registry.test_admin import permit_form

pytestmark = pytest.mark.django_db


def permit(enterprise, *, valid_from, valid_to, kind=PermitKind.HAZARDOUS_OPERATING, **covers):
    return Permit(
        enterprise=enterprise,
        kind=kind,
        number="GZ-HW-2024-001",
        issuer="贵州省生态环境厅",
        valid_from=valid_from,
        valid_to=valid_to,
        **covers,
    )


COMPREHENSIVE = {"covers_collection": True, "covers_storage": True, "covers_utilization": True}
COLLECTION = {"covers_collection": True}


def term_refusal(candidate) -> str | None:
    try:
        candidate.full_clean()
    except ValidationError as error:
        return " ".join(error.message_dict.get("valid_to", []))
    return None


def test_a_comprehensive_licence_runs_five_years_to_the_day_before_and_no_longer(enterprise_x):
    assert (
        term_refusal(permit(enterprise_x, valid_from=date(2024, 1, 1), valid_to=date(2028, 12, 31), **COMPREHENSIVE))
        is None
    )
    refusal = term_refusal(
        permit(enterprise_x, valid_from=date(2024, 1, 1), valid_to=date(2029, 1, 1), **COMPREHENSIVE)
    )
    assert "5 years at most" in refusal and "art. 12" in refusal and "2028-12-31" in refusal


def test_a_collection_licence_runs_three_years_and_no_longer(enterprise_x):
    assert (
        term_refusal(permit(enterprise_x, valid_from=date(2024, 3, 1), valid_to=date(2027, 2, 28), **COLLECTION))
        is None
    )
    refusal = term_refusal(permit(enterprise_x, valid_from=date(2024, 3, 1), valid_to=date(2027, 3, 1), **COLLECTION))
    assert "3 years at most" in refusal and "2027-02-28" in refusal


def test_a_licence_that_also_stores_is_a_comprehensive_one(enterprise_x):
    both = {"covers_collection": True, "covers_storage": True}
    assert term_refusal(permit(enterprise_x, valid_from=date(2024, 1, 1), valid_to=date(2028, 12, 31), **both)) is None


def test_a_medical_waste_disposal_permit_is_held_to_five_years(enterprise_x):
    kind = PermitKind.MEDICAL_DISPOSAL
    assert (
        term_refusal(permit(enterprise_x, kind=kind, valid_from=date(2024, 1, 1), valid_to=date(2028, 12, 31))) is None
    )
    assert "5 years" in term_refusal(
        permit(enterprise_x, kind=kind, valid_from=date(2024, 1, 1), valid_to=date(2029, 1, 1))
    )


def test_a_road_transport_permit_is_not_held_to_a_licence_term(enterprise_x):
    kind = PermitKind.ROAD_TRANSPORT
    assert (
        term_refusal(permit(enterprise_x, kind=kind, valid_from=date(2024, 1, 1), valid_to=date(2033, 12, 31))) is None
    )


def test_a_licence_from_29_february_ends_on_27_february_five_years_on_at_the_latest(enterprise_x):
    start = date(2024, 2, 29)
    assert term_refusal(permit(enterprise_x, valid_from=start, valid_to=date(2029, 2, 27), **COMPREHENSIVE)) is None
    assert term_refusal(permit(enterprise_x, valid_from=start, valid_to=date(2029, 2, 28), **COMPREHENSIVE))


def test_the_admin_refuses_a_licence_longer_than_its_term_and_saves_nothing(admin_client, enterprise_x):
    form = permit_form(enterprise_x, valid_from="2026-01-01", valid_to="2031-01-01")
    response = admin_client.post(reverse("admin:registry_permit_add"), form)
    assert response.status_code == 200  # the form again, with the field's message
    assert "5 years at most" in str(response.context["adminform"].form.errors["valid_to"])
    assert not Permit.objects.exists()


def test_the_admin_saves_a_collection_licence_of_three_years(admin_client, enterprise_x):
    form = permit_form(enterprise_x, valid_from="2026-01-01", valid_to="2028-12-31", covers_collection="on")
    del form["covers_storage"]
    response = admin_client.post(reverse("admin:registry_permit_add"), form)
    assert response.status_code == 302
    assert Permit.objects.get().is_collection_licence
