"""Every registry model has an admin with search and filters; API client tokens are shown once; permit and
approval dates typed in the admin are held to their window."""

import pytest
from django.contrib import admin
from django.urls import reverse

from registry import models
from tests import factories as f

REGISTRY_MODELS = [
    models.WasteCategory,
    models.WasteCode,
    models.ManagementMethod,
    models.Division,
    models.Park,
    models.Enterprise,
    models.Facility,
    models.Permit,
    models.TransferApproval,
    models.TransferFiling,
    models.User,
    models.EnterpriseMembership,
    models.JurisdictionMembership,
    models.ApiClient,
]


@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=lambda m: m.__name__)
def test_changelist_with_search_loads(admin_client, receiver_r, model):
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields
    url = reverse(f"admin:registry_{model._meta.model_name}_changelist")
    assert admin_client.get(url, {"q": "9"}).status_code == 200


def test_enterprise_history_page_loads(admin_client, enterprise_x):
    url = reverse("admin:registry_enterprise_history", args=[enterprise_x.pk])
    assert admin_client.get(url).status_code == 200


def permit_form(enterprise, **overrides) -> dict:
    """The admin's add form for a permit, filled in as an administrator would (no lines)."""
    return {
        "enterprise": enterprise.pk,
        "kind": models.PermitKind.HAZARDOUS_OPERATING,
        "number": "GZ-HW-2026-001",
        "issuer": "贵州省生态环境厅",
        "valid_from": "2026-01-01",
        "valid_to": "2030-12-31",
        "covers_storage": "on",
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
        **overrides,
    }


def approval_form(consignor, receiver, **overrides) -> dict:
    """The admin's add form for a cross-province transfer approval."""
    return {
        "number": "KSZY-2026-001",
        "consignor": consignor.pk,
        "receiver": receiver.pk,
        "waste_code": f.waste_code("900-249-08").pk,
        "approved_quantity_t": "100",
        "quantity_used_t": "0",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "issuer": "贵州省生态环境厅",
        **overrides,
    }


@pytest.mark.parametrize("field, day", [("valid_to", "9999-12-31"), ("valid_from", "1999-12-31")])
def test_the_admin_refuses_a_permit_date_outside_the_window(admin_client, enterprise_x, field, day):
    response = admin_client.post(reverse("admin:registry_permit_add"), permit_form(enterprise_x, **{field: day}))
    assert response.status_code == 200  # the form again, with the field's message
    assert "Must be on or" in str(response.context["adminform"].form.errors[field])
    assert not models.Permit.objects.exists()


@pytest.mark.parametrize("field, day", [("valid_to", "9999-12-31"), ("valid_from", "0001-01-01")])
def test_the_admin_refuses_an_approval_date_outside_the_window(admin_client, enterprise_x, receiver_r, field, day):
    form = approval_form(enterprise_x, receiver_r, **{field: day})
    response = admin_client.post(reverse("admin:registry_transferapproval_add"), form)
    assert response.status_code == 200
    assert "Must be on or" in str(response.context["adminform"].form.errors[field])
    assert not models.TransferApproval.objects.exists()


def test_the_admin_saves_a_permit_inside_the_window(admin_client, enterprise_x):
    response = admin_client.post(reverse("admin:registry_permit_add"), permit_form(enterprise_x))
    assert response.status_code == 302
    assert str(models.Permit.objects.get().valid_to) == "2030-12-31"
