"""Every registry model has an admin with search and filters; API client tokens are shown once."""

import pytest
from django.contrib import admin
from django.urls import reverse

from registry import models

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
