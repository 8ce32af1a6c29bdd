"""The signature trail is immutable; other apps hear of a manifest change inside the transaction that
made it, once it is written, so what they queue from it commits or rolls back with it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from transfers import services
from transfers.models import Manifest, ManifestEvent, ManifestStatus
from transfers.signals import manifest_changed
from wasteparks.errors import RuleViolation

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def listener(sender, manifest_id, action, **kwargs):
        # What a receiver reading the manifest at that moment would see.
        calls.append((manifest_id, action, Manifest.objects.get(pk=manifest_id).status))

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


def test_manifest_changed_is_sent_in_the_writing_transaction_once_the_change_is_written(
    hazardous_draft, preparer_x, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
        # Heard before any after-commit callback ran, with the new status already written.
        assert heard == [(hazardous_draft.pk, "submit", ManifestStatus.SUBMITTED)]


def test_revisions_and_drafts_are_announced_too(hazardous_draft, advance, preparer_x, clerk_r, heard):
    services.update_draft(manifest=hazardous_draft, actor=preparer_x, changes={"vehicle_plate": "贵A00001"})
    advance(hazardous_draft, "submitted")
    revision = services.propose_revision(
        manifest=hazardous_draft, actor=preparer_x, changes={"manifest": {"vehicle_plate": "贵A12345"}}, reason="typo"
    )
    services.decide_revision(revision=revision, actor=clerk_r, approve=False, comment="the plate is right")
    assert [action for _pk, action, _status in heard] == ["edit", "submit", "revision_proposed", "revision_refused"]


def test_a_refused_transition_announces_nothing(hazardous_draft, advance, driver_c, heard):
    advance(hazardous_draft, "submitted")
    heard.clear()
    with pytest.raises(RuleViolation):
        services.pickup_manifest(manifest=hazardous_draft, actor=driver_c, vehicle_plate="")
    assert heard == []


def test_a_receiver_that_fails_refuses_the_change(hazardous_draft, preparer_x):
    def broken(sender, **kwargs):
        raise RuntimeError("could not queue the follow-up work")

    manifest_changed.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            services.submit_manifest(manifest=hazardous_draft, actor=preparer_x)
    finally:
        manifest_changed.disconnect(broken)
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.status == ManifestStatus.DRAFT and hazardous_draft.number is None
    assert not ManifestEvent.objects.exists()


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
