"""The printable copy with its QR code, and the public verification page it links to."""

import re

import pytest
from django.urls import reverse

from transfers.views import verification_token

pytestmark = pytest.mark.django_db


def test_the_printable_copy_carries_a_qr_code_to_the_verification_page(client, officer_a, hazardous_draft, advance):
    advance(hazardous_draft, "in_transit")
    client.force_login(officer_a)
    response = client.get(reverse("transfers:manifest_print", args=[hazardous_draft.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and hazardous_draft.number in html
    token = verification_token(hazardous_draft)
    assert f"http://testserver/transfers/verify/{token}/" in html
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
    assert re.fullmatch(r"\d+\.[\w-]+", token)
