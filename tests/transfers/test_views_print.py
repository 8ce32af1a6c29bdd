"""The printable copy with its QR code, and the public verification page it links to."""

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from transfers import services
from transfers.views import printing, verification_token

pytestmark = pytest.mark.django_db


def test_the_printable_copy_carries_a_qr_code_to_the_verification_page(client, officer_a, hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    client.force_login(officer_a)
    response = client.get(reverse("transfers:manifest_print", args=[hazardous_draft.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and hazardous_draft.number in html
    # The token carries the second it was signed, so it is read back rather than signed again.
    printed = re.search(r"http://testserver/transfers/verify/([^/\"<]+)/", html)
    assert printed is not None
    assert printing._read(printed.group(1)) == (hazardous_draft.pk, "0")
    assert "@media print" not in html  # the print rules live in the stylesheet, served locally


def test_the_verification_page_shows_only_number_status_and_parties(client, hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    response = client.get(reverse("transfers:verify", args=[verification_token(hazardous_draft)]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (hazardous_draft.number, "In transit", "Enterprise X (generator)", "Carrier C", "Receiver R"):
        assert text in html, text
    for secret in ("10.0000", "900-249-08", "贵D12345", "driver_c", "B-001"):
        assert secret not in html, secret


def test_the_token_cannot_be_guessed_from_the_id(client, hazardous_draft):
    token = verification_token(hazardous_draft)
    assert token != str(hazardous_draft.pk) and len(token) > 30
    for guess in (
        str(hazardous_draft.pk),
        f"{hazardous_draft.pk}.",
        f"{hazardous_draft.pk + 1}.{token.split('.')[1]}",
        token[:-1] + ("A" if token[-1] != "A" else "B"),
    ):
        assert client.get(reverse("transfers:verify", args=[guess])).status_code == 404, guess
    # id, version, timestamp, signature
    assert re.fullmatch(r"\d+\.(d|\d+)\.[\w-]+\.[\w-]+", token)


def test_a_drafts_copy_reads_as_a_draft_not_a_valid_manifest(client, hazardous_draft):
    response = client.get(reverse("transfers:verify", args=[verification_token(hazardous_draft)]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft: not a valid manifest." in html
    assert "on record" not in html


def test_the_print_copy_of_a_draft_says_it_is_no_manifest(client, preparer_x, hazardous_draft):
    client.force_login(preparer_x)
    html = client.get(reverse("transfers:manifest_print", args=[hazardous_draft.pk])).content.decode()
    assert "Draft: not a valid manifest." in html


def test_a_drafts_copy_is_out_of_date_once_the_manifest_is_signed(client, hazardous_draft, advance):
    token = verification_token(hazardous_draft)
    advance(hazardous_draft, "submitted")
    html = client.get(reverse("transfers:verify", args=[token])).content.decode()
    assert "This copy is out of date — the manifest has changed since it was printed." in html
    assert "on record in the provincial" not in html
    assert hazardous_draft.number in html  # what is on record now


def test_a_copy_printed_before_an_approved_revision_is_out_of_date(
    client, hazardous_draft, advance, preparer_x, driver_c, clerk_r
):
    advance(hazardous_draft, "in_transit")
    printed = verification_token(hazardous_draft)
    revision = services.propose_revision(
        manifest=hazardous_draft,
        actor=driver_c,
        changes={"manifest": {"vehicle_plate": "贵D77777"}},
        reason="changed truck at the depot",
    )
    # Proposed, not yet applied: the paper still shows what is on record.
    assert "out of date" not in client.get(reverse("transfers:verify", args=[printed])).content.decode()
    services.decide_revision(revision=revision, actor=preparer_x, approve=True)
    services.decide_revision(revision=revision, actor=clerk_r, approve=True)
    outdated = client.get(reverse("transfers:verify", args=[printed])).content.decode()
    assert "This copy is out of date" in outdated
    current = client.get(reverse("transfers:verify", args=[verification_token(hazardous_draft)])).content.decode()
    assert "out of date" not in current and "on record in the provincial" in current


def test_a_forged_token_shows_a_clear_page_with_404(client, hazardous_draft):
    token = verification_token(hazardous_draft)
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "garbled", "1.d.x.y", "%E4%B8%AD"):
        response = client.get(reverse("transfers:verify", args=[forged]))
        assert response.status_code == 404, forged
        html = response.content.decode()
        assert "This verification code is not valid" in html, forged
        assert "<nav" in html or "navbar" in html  # in the site's layout
        assert "Enterprise X" not in html


def test_a_token_older_than_the_retention_period_has_expired(client, hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    token = verification_token(hazardous_draft)
    later = printing.TOKEN_MAX_AGE + timedelta(days=1)
    with mock.patch("django.core.signing.time.time", return_value=time.time() + later.total_seconds()):
        response = client.get(reverse("transfers:verify", args=[token]))
    assert response.status_code == 410
    html = response.content.decode()
    assert "This verification code has expired" in html and hazardous_draft.number not in html


def test_a_token_of_a_manifest_no_longer_on_record_is_not_valid(client, hazardous_draft):
    token = signing.TimestampSigner(salt=printing.VERIFY_SALT, sep=".").sign(f"{hazardous_draft.pk + 1000}.d")
    response = client.get(reverse("transfers:verify", args=[token]))
    assert response.status_code == 404 and "This verification code is not valid" in response.content.decode()
