"""Date windows at the transfer edges (wasteparks/bounds.py): a ledger entry's time is held to EVENT, a
manifest's planned date to PLAN, through the ledger form and API, the manifest form and API (new and
draft edit) and a revision. A year-1 or year-9999 value is refused with a field message or the error
shape and writes nothing; an ordinary date goes through."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.clients import create_api_client
from registry.models import ApiScope
from tests import factories as f
from tests.api.conftest import bearer, error_of
from tests.security.test_bad_input import table_counts
from transfers import forms, services
from transfers.api.inputs import DraftUpdateSerializer, LedgerEntryInputSerializer, ManifestInputSerializer
from transfers.models import LedgerEntry, Manifest, RevisionRequest
from transfers.services import LineInput
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db

LEDGER = "/api/v1/ledger-entries/"
MANIFESTS = "/api/v1/manifests/"

BAD_DAYS = ["0001-01-01", "9999-12-31"]
# As typed in the form's date-time field (local time, no offset), and as an API client sends them.
BAD_FORM_TIMES = [*BAD_DAYS, "0001-01-01T00:00", "9999-12-31T23:59"]
BAD_API_TIMES = ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+08:00", "0001-01-01T00:00"]


def soon() -> str:
    return (timezone.localdate() + timedelta(days=7)).isoformat()


@pytest.fixture
def erp_x(enterprise_x):
    _, token = create_api_client(name="X ERP", scope=ApiScope.ENTERPRISE, enterprise=enterprise_x)
    return bearer(token)


# --- the fields themselves ------------------------------------------------------------------------


def test_the_form_and_serializer_fields_carry_the_windows(preparer_x):
    """The field message comes from the form or serializer, before any service is asked."""
    early, late = "Must be on or after 2000-01-01.", "Must be on or before"
    ledger = forms.LedgerEntryForm({"occurred_at": "0001-01-01T00:00"}, user=preparer_x)
    manifest = forms.ManifestForm({"planned_date": "9999-12-31"}, user=preparer_x)
    revision = forms.RevisionForm({"planned_date": "0001-01-01", "reason": "改期"})
    assert ledger.errors["occurred_at"] == [early]
    assert manifest.errors["planned_date"][0].startswith(late)
    assert revision.errors["planned_date"] == [early]
    for serializer, field, value in [
        (LedgerEntryInputSerializer, "occurred_at", "0001-01-01T00:00:00Z"),
        (ManifestInputSerializer, "planned_date", "9999-12-31"),
        (DraftUpdateSerializer, "planned_date", "0001-01-01"),
    ]:
        checked = serializer(data={field: value})
        assert not checked.is_valid()
        assert str(checked.errors[field][0]).startswith(late if value.startswith("9999") else early), serializer


# --- ledger entries: EVENT ------------------------------------------------------------------------


def entry_form(enterprise, facility, occurred_at):
    return {"enterprise": enterprise.pk, "facility": facility.pk, "stage": "generated", "waste_code": "900-249-08",
            "quantity_t": "3.5", "occurred_at": occurred_at, "method": "", "batch_code": "", "note": ""}  # fmt: skip


def entry_body(facility, occurred_at):
    return {"enterprise": facility.enterprise_id, "facility": facility.pk, "waste_code": "900-249-08",
            "stage": "generated", "quantity_t": "3.5", "occurred_at": occurred_at}  # fmt: skip


@pytest.mark.parametrize("moment", BAD_FORM_TIMES)
def test_the_ledger_form_refuses_a_time_outside_the_event_window(client, preparer_x, enterprise_x, x_store, moment):
    client.force_login(preparer_x)
    before = table_counts()
    response = client.post(reverse("transfers:ledger_new"), entry_form(enterprise_x, x_store, moment))
    assert response.status_code == 400
    assert response.context["form"].errors["occurred_at"]
    assert table_counts() == before


def test_the_ledger_form_takes_yesterday(client, preparer_x, enterprise_x, x_store):
    client.force_login(preparer_x)
    yesterday = timezone.localtime() - timedelta(days=1)
    response = client.post(
        reverse("transfers:ledger_new"), entry_form(enterprise_x, x_store, yesterday.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert timezone.localtime(entry.occurred_at).replace(second=0, microsecond=0) == yesterday.replace(
        second=0, microsecond=0
    )


@pytest.mark.parametrize("moment", BAD_API_TIMES)
def test_the_ledger_api_refuses_a_time_outside_the_event_window(erp_x, x_store, moment):
    before = table_counts()
    response = erp_x.post(LEDGER, entry_body(x_store, moment))
    assert response.status_code == 400, response.content
    assert "occurred_at" in error_of(response)["fields"]
    assert table_counts() == before


def test_the_ledger_api_takes_yesterday_and_a_few_minutes_of_clock_skew(erp_x, x_store):
    for moment in (timezone.now() - timedelta(days=1), timezone.now() + timedelta(minutes=5)):
        response = erp_x.post(LEDGER, entry_body(x_store, moment.isoformat()))
        assert response.status_code == 201, response.content
    assert LedgerEntry.objects.count() == 2


def test_the_ledger_api_refuses_an_hour_ahead(erp_x, x_store):
    response = erp_x.post(LEDGER, entry_body(x_store, (timezone.now() + timedelta(hours=1)).isoformat()))
    assert response.status_code == 400
    assert "on or before" in error_of(response)["fields"]["occurred_at"][0]
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "moment", [datetime(1, 1, 1, tzinfo=UTC), datetime(1999, 12, 31, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)]
)
def test_the_ledger_service_refuses_what_no_edge_checked(preparer_x, enterprise_x, x_store, moment):
    before = table_counts()
    with pytest.raises(RuleViolation) as refused:
        services.record_ledger_entry(
            actor=preparer_x,
            enterprise=enterprise_x,
            facility=x_store,
            waste_code=f.waste_code("900-249-08"),
            stage="generated",
            quantity_t=Decimal("1"),
            occurred_at=moment,
        )
    assert refused.value.code == "out_of_window"
    assert list(refused.value.fields) == ["occurred_at"]
    assert table_counts() == before


# --- manifests: PLAN ------------------------------------------------------------------------------


def manifest_form(enterprise_x, carrier_c, receiver_r, x_store, planned_date):
    return {
        "consignor": enterprise_x.pk, "carrier": carrier_c.pk, "receiver": receiver_r.pk, "waste_class": "hazardous",
        "purpose": "utilization", "planned_date": planned_date, "vehicle_plate": "",
        "line-TOTAL_FORMS": "1", "line-INITIAL_FORMS": "0", "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "50",
        "line-0-waste_code": "900-249-08", "line-0-source_facility": x_store.pk, "line-0-declared_quantity_t": "10",
        "line-0-packaging_type": "drum", "line-0-packaging_count": "4", "line-0-physical_form": "liquid",
        "line-0-batch_code": "",
    }  # fmt: skip


def manifest_body(enterprise_x, carrier_c, receiver_r, x_store, planned_date):
    return {"consignor": enterprise_x.pk, "carrier": carrier_c.pk, "receiver": receiver_r.pk,
            "waste_class": "hazardous", "purpose": "utilization", "planned_date": planned_date,
            "lines": [{"waste_code": "900-249-08", "source_facility": x_store.pk, "declared_quantity_t": "10",
                       "packaging_type": "drum", "packaging_count": 4, "physical_form": "liquid"}]}  # fmt: skip


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_manifest_form_refuses_a_planned_date_outside_the_plan_window(
    client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, day
):
    client.force_login(preparer_x)
    before = table_counts()
    response = client.post(
        reverse("transfers:manifest_new"), manifest_form(enterprise_x, carrier_c, receiver_r, x_store, day)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["planned_date"]
    assert table_counts() == before


def test_the_manifest_form_takes_next_week(client, parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store):
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:manifest_new"), manifest_form(enterprise_x, carrier_c, receiver_r, x_store, soon())
    )
    assert response.status_code == 302
    assert Manifest.objects.get().planned_date.isoformat() == soon()


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_draft_edit_form_refuses_a_planned_date_outside_the_plan_window(
    client, preparer_x, hazardous_draft, enterprise_x, carrier_c, receiver_r, x_store, day
):
    client.force_login(preparer_x)
    data = manifest_form(enterprise_x, carrier_c, receiver_r, x_store, day)
    data.pop("consignor")
    before = table_counts()
    response = client.post(reverse("transfers:manifest_edit", args=[hazardous_draft.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["planned_date"]
    assert table_counts() == before
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.planned_date == timezone.localdate()


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_manifest_api_refuses_a_planned_date_outside_the_plan_window(
    erp_x, parties, enterprise_x, carrier_c, receiver_r, x_store, day
):
    before = table_counts()
    response = erp_x.post(MANIFESTS, manifest_body(enterprise_x, carrier_c, receiver_r, x_store, day))
    assert response.status_code == 400, response.content
    assert "planned_date" in error_of(response)["fields"]
    assert table_counts() == before


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_draft_edit_api_refuses_a_planned_date_outside_the_plan_window(erp_x, hazardous_draft, day):
    before = table_counts()
    response = erp_x.patch(f"{MANIFESTS}{hazardous_draft.pk}/", {"planned_date": day})
    assert response.status_code == 400, response.content
    assert "planned_date" in error_of(response)["fields"]
    assert table_counts() == before


def test_the_manifest_api_takes_next_week_on_create_and_edit(
    erp_x, parties, enterprise_x, carrier_c, receiver_r, x_store
):
    created = erp_x.post(MANIFESTS, manifest_body(enterprise_x, carrier_c, receiver_r, x_store, soon()))
    assert created.status_code == 201, created.content
    in_two_weeks = (timezone.localdate() + timedelta(days=14)).isoformat()
    edited = erp_x.patch(f"{MANIFESTS}{created.json()['id']}/", {"planned_date": in_two_weeks})
    assert edited.status_code == 200, edited.content
    assert Manifest.objects.get().planned_date.isoformat() == in_two_weeks


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1999, 12, 31), date(9999, 12, 31)])
def test_the_draft_services_refuse_what_no_edge_checked(
    parties, preparer_x, enterprise_x, carrier_c, receiver_r, x_store, hazardous_draft, day
):
    before = table_counts()
    with pytest.raises(RuleViolation) as on_create:
        services.create_manifest(
            actor=preparer_x,
            consignor=enterprise_x,
            carrier=carrier_c,
            receiver=receiver_r,
            waste_class="hazardous",
            purpose="utilization",
            planned_date=day,
            lines=[LineInput(f.waste_code("900-249-08"), x_store, Decimal("1"))],
        )
    with pytest.raises(RuleViolation) as on_edit:
        services.update_draft(manifest=hazardous_draft, actor=preparer_x, changes={"planned_date": day})
    assert on_create.value.code == on_edit.value.code == "out_of_window"
    assert list(on_create.value.fields) == list(on_edit.value.fields) == ["planned_date"]
    assert table_counts() == before


# --- revisions: PLAN ------------------------------------------------------------------------------


@pytest.fixture
def submitted(hazardous_draft, advance):
    return advance(hazardous_draft, "submitted")


@pytest.mark.parametrize("day", BAD_DAYS)
def test_a_revision_form_refuses_a_planned_date_outside_the_plan_window(client, preparer_x, submitted, day):
    client.force_login(preparer_x)
    before = table_counts()
    response = client.post(
        reverse("transfers:revision_propose", args=[submitted.pk]), {"planned_date": day, "reason": "改期"}
    )
    assert response.status_code == 400
    assert response.context["revision_form"].errors["planned_date"]
    assert table_counts() == before


def test_a_revision_form_takes_next_week(client, preparer_x, submitted):
    client.force_login(preparer_x)
    response = client.post(
        reverse("transfers:revision_propose", args=[submitted.pk]), {"planned_date": soon(), "reason": "改期"}
    )
    assert response.status_code == 302
    assert RevisionRequest.objects.get().changes == {"manifest": {"planned_date": soon()}, "lines": {}}


@pytest.mark.parametrize("day", [*BAD_DAYS, date(9999, 12, 31), "2026-02-30"])
def test_the_revision_service_refuses_what_no_edge_checked(preparer_x, submitted, day):
    before = table_counts()
    with pytest.raises(RuleViolation) as refused:
        services.propose_revision(
            manifest=submitted, actor=preparer_x, changes={"manifest": {"planned_date": day}}, reason="改期"
        )
    assert refused.value.code == "invalid_revision"
    assert list(refused.value.fields) == ["manifest.planned_date"]
    assert table_counts() == before
