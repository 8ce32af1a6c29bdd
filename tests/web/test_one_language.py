"""Every main page and mail reads in one language: the Chinese pages carry no English sentence and the
English pages no Chinese one. What people typed or registered (enterprise, park and facility names,
addresses, people's names, plates, comments) is data and stays as it was entered; everything else is
the platform's own text and must follow the language of the page."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from registry.models import Enterprise, Facility, Park, Permit, User
from reporting.models import Warning
from reporting.warnings import RULES_BY_CODE, run_rules
from tests.transfers.factories import receipt
from transfers import services
from transfers.models import LedgerEntry, Manifest, ManifestEvent
from transfers.views import verification_token

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]+")
# A word of Latin letters standing alone: codes such as HW08, R9 or 900-249-08 hold digits and are not words.
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_./@-])[A-Za-z]{2,}(?![A-Za-z0-9_@-])")
# Names that are the same in both languages: the product's, file formats, standards' prefixes, the key on
# the keyboard, and each language's own name in the language switch.
UNTRANSLATED_NAMES = {
    "wasteparks",
    "IBC",
    "PDF",
    "CSV",
    "Excel",
    "QR",
    "API",
    "GB",
    "HJ",
    "HW",
    "SW",
    "Ctrl",
    "English",
    "ID",
    "REST",
}
LANGUAGE_NAMES = ("简体中文", "中文")
URL = re.compile(r"https?://\S+")


class _VisibleText(HTMLParser):
    """The text a reader sees: text nodes and the titles and placeholders of controls, not scripts, styles
    or the QR code's drawing."""

    HIDDEN = {"script", "style", "svg", "template"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def _data() -> list[str]:
    """What users entered: it reads as typed in both languages. Longest first, so a name containing
    another is removed whole."""
    values: set[str] = set()
    for model, fields in (
        (Enterprise, ("name", "address", "contact_name", "contact_email")),
        (Park, ("name",)),
        (Facility, ("name",)),
        (User, ("username", "full_name", "email")),
        (Permit, ("number", "issuer")),
        (Manifest, ("vehicle_plate", "reason", "emergency_measures")),
        (ManifestEvent, ("comment", "signer_name")),
        (LedgerEntry, ("note", "batch_code")),
    ):
        for row in model.objects.values_list(*fields):
            values.update(value for value in row if isinstance(value, str) and value.strip())
    return sorted(values, key=len, reverse=True)


def foreign_text(text: str, language: str, data: list[str]) -> list[str]:
    """The runs of the other language left in `text` once the data is taken out."""
    for value in data:
        text = text.replace(value, " ")
    text = URL.sub(" ", text)
    for name in LANGUAGE_NAMES:
        text = text.replace(name, " ")
    if language == "en":
        return CJK.findall(text)
    return sorted({word for word in LATIN_WORD.findall(text) if word not in UNTRANSLATED_NAMES})


@pytest.fixture
def chinese_data(enterprise_x, carrier_c, receiver_r, park_a):
    """Give the fixtures' parties the Chinese names and addresses they would have in a park."""
    Enterprise.objects.filter(pk=enterprise_x.pk).update(name="铜仁市锰业有限公司", address="铜仁市大龙经开区1号")
    Enterprise.objects.filter(pk=carrier_c.pk).update(name="大龙危险货物运输有限公司")
    Enterprise.objects.filter(pk=receiver_r.pk).update(name="贵州危废处置中心")


@pytest.fixture
def journey(chinese_data, parties, hazardous_draft, advance, clerk_r, r_store, django_capture_on_commit_callbacks):
    """A manifest received short (a discrepancy: a warning and a mail) and a second one still a draft."""
    manifest = advance(hazardous_draft, "in_transit")
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_manifest(
            manifest=manifest,
            actor=clerk_r,
            lines=receipt(manifest, r_store, line1={"received": Decimal("8.5")}),
        )
    run_rules(rules=(RULES_BY_CODE["QUANTITY_DISCREPANCY"],))
    manifest.refresh_from_db()
    return manifest


def _pages(journey) -> dict[str, list[str]]:
    """Who reads which pages: the officer, the consignor's preparer, the receiver's clerk, the driver."""
    warning = Warning.objects.order_by("pk").first()
    assert warning is not None, "the discrepancy raised no warning"
    manifest = journey.pk
    return {
        "officer_a": [
            reverse("reporting:dashboard"),
            reverse("transfers:manifest_list"),
            reverse("transfers:manifest_detail", args=[manifest]),
            reverse("transfers:manifest_print", args=[manifest]),
            reverse("transfers:ledger_list"),
            reverse("transfers:stock_list"),
            reverse("registry:enterprise_list"),
            reverse("reporting:enterprise_detail", args=[journey.consignor_id]),
            reverse("registry:permit_list"),
            reverse("reporting:warning_list"),
            reverse("reporting:warning_detail", args=[warning.pk]),
            reverse("reporting:report_list"),
        ],
        "preparer_x": [
            reverse("transfers:manifest_new"),
            reverse("transfers:ledger_new"),
            reverse("transfers:manifest_detail", args=[manifest]),
        ],
        "clerk_r": [reverse("transfers:manifest_treat", args=[manifest])],
        "driver_c": [reverse("transfers:pickup_list")],
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_main_page_reads_in_the_language_of_the_reader(client, settings, journey, officer_a, language):
    settings.LANGUAGE_CODE = language
    users = {user.username: user for user in User.objects.all()}
    data = _data()
    leaks = {}
    for username, urls in _pages(journey).items():
        client.force_login(users[username])
        for url in urls:
            with translation.override(language):
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, (username, url, response.status_code)
            found = foreign_text(visible_text(response.content.decode()), language, data)
            if found:
                leaks[f"{username} {url}"] = found
    assert leaks == {}, "\n".join(f"{page}: {words}" for page, words in leaks.items())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_public_verification_page_reads_in_one_language_for_a_real_and_a_forged_copy(
    client, settings, journey, language
):
    settings.LANGUAGE_CODE = language
    data = _data()
    with translation.override(language):
        real = client.get(reverse("transfers:verify", args=[verification_token(journey)]))
        forged = client.get(reverse("transfers:verify", args=["1.0.forged.signature"]))
        login = client.get(reverse("login"))
    assert (real.status_code, forged.status_code, login.status_code) == (200, 404, 200)
    for response in (real, forged, login):
        assert foreign_text(visible_text(response.content.decode()), language, data) == []


def test_the_discrepancy_mail_has_a_chinese_half_and_an_english_half_each_in_one_language(journey):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    data = _data()
    chinese_subject, english_subject = message.subject.split(" / ")
    assert foreign_text(chinese_subject, "zh-hans", data) == []
    assert foreign_text(english_subject, "en", data) == []
    # The body is the Chinese text, a blank line, then the English one.
    chinese, english = message.body.split("\n\n", 1)
    assert foreign_text(chinese, "zh-hans", data) == [] and CJK.search(chinese)
    assert foreign_text(english, "en", data) == [] and "declared" in english


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pdf_copy_is_labelled_in_the_language_of_the_reader(client, settings, journey, officer_a, language):
    settings.LANGUAGE_CODE = language
    client.force_login(officer_a)
    with translation.override(language):
        response = client.get(reverse("transfers:manifest_pdf", args=[journey.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_leak_finder_finds_either_language_and_spares_codes_and_data():
    assert foreign_text(visible_text("<p>Cannot pickup</p><p>已接收</p>"), "en", []) == ["已接收"]
    assert foreign_text("无法提货：Cannot pickup 900-249-08 HW08 R9 PDF", "zh-hans", []) == ["Cannot", "pickup"]
    assert foreign_text("Carrier C 已提货", "zh-hans", ["Carrier C"]) == []
