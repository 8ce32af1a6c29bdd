"""The printable copy with its QR code, and the public verification page it links to."""

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from registry.models import Enterprise, Permit, PermitKind, User
from transfers import services
from transfers.models import Manifest
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


def test_the_verification_page_shows_waste_quantities_and_dates_but_no_people_vehicle_or_batch(
    client, hazardous_draft, advance
):
    advance(hazardous_draft, "in_transit")
    response = client.get(reverse("transfers:verify", args=[verification_token(hazardous_draft)]))
    assert response.status_code == 200
    html = response.content.decode()
    picked_up = timezone.localtime(hazardous_draft.picked_up_at).strftime("%Y-%m-%d %H:%M")
    for text in (hazardous_draft.number, "In transit", "Enterprise X (generator)", "Carrier C", "Receiver R"):
        assert text in html, text
    # What the paper is compared with: the waste, its declared quantity and the dates of each step.
    for text in ("900-249-08", "10.0000", picked_up, "Picked up at"):
        assert text in html, text
    for private in ("贵D12345", "driver_c", "B-001"):
        assert private not in html, private


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
        assert "Not on record" in html, forged
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


# --- The national manifest form --------------------------------------------------------------------


@pytest.fixture
def completed(hazardous_draft, advance, enterprise_x, carrier_c, receiver_r, preparer_x, driver_c, clerk_r):
    Enterprise.objects.filter(pk=enterprise_x.pk).update(address="铜仁市大龙经开区1号", contact_phone="0856-1234567")
    for user, name, phone in ((preparer_x, "刘洋", ""), (driver_c, "孙强", "13800000001"), (clerk_r, "周丽", "")):
        user.full_name, user.phone = name, phone
        user.save(update_fields=["full_name", "phone"])
    Manifest.objects.filter(pk=hazardous_draft.pk).update(emergency_measures="泄漏时用沙土围堵，禁止明火。")
    return advance(hazardous_draft, "completed")


def test_the_printed_copy_has_every_section_of_the_national_form(client, officer_a, completed, road_permit, receiver_r):
    client.force_login(officer_a)
    response = client.get(reverse("transfers:manifest_print", args=[completed.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    licence = Permit.objects.filter(enterprise=receiver_r, kind=PermitKind.HAZARDOUS_OPERATING).get()
    for section in ("print-consignor", "print-lines", "print-emergency", "print-carrier", "print-receiver"):
        assert f'data-testid="{section}"' in html, section
    for text in (
        "Part 1: consignor",
        "Part 2: transport",
        "Part 3: receiver",
        completed.consignor.credit_code,
        "铜仁市大龙经开区1号",  # the consignor's address
        "0856-1234567",  # and emergency phone
        road_permit.number,  # the carrier's road transport permit
        licence.number,  # the receiver's operating licence
        "贵D12345",
        "13800000001",  # the driver's phone
        "900-249-08",
        "Hazard characteristics",
        "Liquid",  # physical form
        "Drum",  # packaging
        "泄漏时用沙土围堵，禁止明火。",  # the emergency measures
        "R9",  # the treatment method
    ):
        assert text in html, text
    assert re.search(r'href="/static/css/manifest-print[.\w]*\.css"', html)  # the A4 print rules, served locally
    signatures = re.findall(r'data-testid="print-signature">([^<]+)<', html)
    assert [signature.split(" · ")[0] for signature in signatures] == [
        "刘洋 (Preparer)",
        "孙强 (Driver)",
        "周丽 (Preparer)",
        "周丽 (Preparer)",
    ]
    assert all(re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", signature) for signature in signatures)


def test_a_signature_keeps_the_name_the_signer_had_when_signing(client, officer_a, completed, preparer_x):
    User.objects.filter(pk=preparer_x.pk).update(full_name="刘洋（已更名）")
    client.force_login(officer_a)
    printed = client.get(reverse("transfers:manifest_print", args=[completed.pk])).content.decode()
    assert "刘洋 (Preparer)" in printed and "已更名" not in printed
    detail = client.get(reverse("transfers:manifest_detail", args=[completed.pk])).content.decode()
    timeline = detail[detail.index('data-testid="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert "<strong>刘洋</strong>" in timeline and "已更名" not in timeline
    assert completed.events.get(action="submit").signer_name == "刘洋"


def test_a_signer_without_a_full_name_is_named_by_login(hazardous_draft, advance):
    advance(hazardous_draft, "submitted")
    assert hazardous_draft.events.get(action="submit").signer_name == "preparer_x"


def test_the_printed_copy_downloads_as_an_a4_pdf(client, officer_a, completed):
    client.force_login(officer_a)
    response = client.get(reverse("transfers:manifest_pdf", args=[completed.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"manifest-{completed.number}.pdf" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF") and b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4 in points
    assert b"STSong-Light" in pdf  # Chinese through the reader's CID font, nothing to install


def test_another_parks_officer_gets_404_for_the_pdf(client, officer_b, completed):
    client.force_login(officer_b)
    assert client.get(reverse("transfers:manifest_pdf", args=[completed.pk])).status_code == 404
    assert client.get(reverse("transfers:manifest_print", args=[completed.pk])).status_code == 404


def test_a_pdf_of_no_manifest_is_404_not_an_error(client, officer_a):
    client.force_login(officer_a)
    assert client.get(reverse("transfers:manifest_pdf", args=[2_000_000_000])).status_code == 404


def test_the_consignor_writes_the_emergency_measures_on_the_draft_and_may_change_them_until_signing(
    client, preparer_x, hazardous_draft
):
    client.force_login(preparer_x)
    url = reverse("transfers:manifest_edit", args=[hazardous_draft.pk])
    form = client.get(url).content.decode()
    assert 'name="emergency_measures"' in form
    services.update_draft(
        manifest=hazardous_draft, actor=preparer_x, changes={"emergency_measures": "  远离火源；泄漏时用沙土吸附。 "}
    )
    hazardous_draft.refresh_from_db()
    assert hazardous_draft.emergency_measures == "远离火源；泄漏时用沙土吸附。"
    html = client.get(reverse("transfers:manifest_print", args=[hazardous_draft.pk])).content.decode()
    assert "远离火源；泄漏时用沙土吸附。" in html
