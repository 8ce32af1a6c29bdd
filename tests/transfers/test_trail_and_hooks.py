"""The signature trail is immutable; other apps hear of a manifest change only after it commits."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from transfers import services
from transfers.models import ManifestEvent
from transfers.signals import manifest_changed
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def listener(sender, manifest_id, action, **kwargs):
        calls.append((manifest_id, action))

    manifest_changed.connect(listener)
    yield calls
    manifest_changed.disconnect(listener)


def test_a_signature_cannot_be_changed_or_deleted(hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    event = ManifestEvent.objects.get()
    event.comment = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert ManifestEvent.objects.get().comment == ""


def test_manifest_changed_is_sent_after_commit(hazardous_draft, preparer_x, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    assert (hazardous_draft.pk, "submit") in heard


def test_a_refused_transition_announces_nothing(
    hazardous_draft, advance, driver_c, heard, django_capture_on_commit_callbacks
):
    advance(hazardous_draft, "submitted")
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuleViolation):
        services.pickup_manifest(manifest=hazardous_draft, actor=driver_c, vehicle_plate="")
    assert heard == []


@pytest.mark.parametrize(
    "model", ["manifest", "manifestevent", "ledgerentry", "stockbalance", "revisionrequest", "manifestsequence"]
)
def test_the_admin_lists_every_transfer_table_read_only(client, superuser, hazardous_draft, advance, model):
    advance(hazardous_draft, "in_transit")
    client.force_login(superuser)
    assert client.get(reverse(f"admin:transfers_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:transfers_{model}_add")).status_code == 403


def test_the_admin_shows_a_manifest_with_its_lines_and_trail(client, superuser, hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    client.force_login(superuser)
    response = client.get(reverse("admin:transfers_manifest_change", args=[hazardous_draft.pk]))
    assert response.status_code == 200
    assert hazardous_draft.number in response.content.decode()
