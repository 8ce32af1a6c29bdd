"""The print copy of a manifest and its public verification: the QR code on paper leads to a page that
shows whoever scans it whether the copy is genuine and current, with the facts to compare the paper with.

The token signs the manifest's id, when the copy was printed and the version of the manifest it shows:
"d" for a draft (which is no manifest yet), else the number of revisions applied to it. A copy printed
before a revision (or a draft's copy after the manifest was signed) reads as out of date, and a token
older than the ten years the records are kept is expired.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import segno
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from registry.models import Enterprise, Permit, PermitKind
from wasteparks.pages import SignedInRequest
from wasteparks.parsing import ascii_whole_number

from ..models import Manifest, ManifestAction, ManifestStatus, RevisionRequest, RevisionStatus
from ..pdf import render_manifest_pdf
from .common import visible_manifest
from .manifests import detail_context

VERIFY_SALT = "transfers.manifest.verify"
# The legal retention of transfer records: a copy is verifiable as long as its record is kept.
TOKEN_MAX_AGE = timedelta(days=3653)
DRAFT_VERSION = "d"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=VERIFY_SALT, sep=".")


def _version(manifest: Manifest) -> str:
    """What a printed copy shows that can change: a draft is edited freely; a signed manifest changes
    only by an approved revision."""
    if manifest.status == ManifestStatus.DRAFT:
        return DRAFT_VERSION
    return str(RevisionRequest.objects.filter(manifest=manifest, status=RevisionStatus.APPROVED).count())


def verification_token(manifest: Manifest) -> str:
    """A signed, dated reference to the manifest as printed: it cannot be guessed from the id, and needs
    no stored field."""
    return _signer().sign(f"{manifest.pk}.{_version(manifest)}")


def _permit_number(enterprise: Enterprise, kinds: tuple[str, ...], day: date) -> str:
    """The number of the enterprise's permit of these kinds in force on `day` (the latest to expire), or
    "" when none is: the paper then shows the gap instead of a number that did not apply."""
    permit = (
        Permit.objects.filter(enterprise=enterprise, kind__in=kinds).valid_on(day).order_by("-valid_to", "-pk").first()
    )
    return permit.number if permit else ""


def _day(moment: datetime | None, fallback: date) -> date:
    return timezone.localdate(moment) if moment else fallback


def print_context(request: SignedInRequest, pk: int) -> dict:
    """What the printed copy (HTML and PDF) shows: the manifest with the sections of the national hazardous
    waste transfer manifest form, each party's signature taken from the signature trail."""
    context = detail_context(request, visible_manifest(request, pk))
    manifest: Manifest = context["manifest"]
    # The last signature of each step: a step signed again after a revision shows who signed last.
    signed = {event.action: event for event in context["events"]}
    licences = (PermitKind.HAZARDOUS_OPERATING, PermitKind.MEDICAL_DISPOSAL)
    context.update(
        {
            "consignor_signature": signed.get(ManifestAction.SUBMIT),
            "carrier_signature": signed.get(ManifestAction.PICKUP),
            "receiver_signature": signed.get(ManifestAction.RECEIVE) or signed.get(ManifestAction.REJECT),
            "treatment_signature": signed.get(ManifestAction.TREAT),
            "road_permit_number": _permit_number(
                manifest.carrier, (PermitKind.ROAD_TRANSPORT,), _day(manifest.picked_up_at, manifest.planned_date)
            ),
            "receiver_licence_number": _permit_number(
                manifest.receiver, licences, _day(manifest.received_at, manifest.planned_date)
            ),
            "received_total": sum(
                (line.received_quantity_t for line in context["lines"] if line.received_quantity_t is not None),
                Decimal(0),
            ),
        }
    )
    verify_url = request.build_absolute_uri(reverse("transfers:verify", args=[verification_token(manifest)]))
    context["verify_url"] = verify_url
    context["qr"] = segno.make(verify_url, error="m")
    return context


@login_required
def manifest_print(request: SignedInRequest, pk: int) -> HttpResponse:
    context = print_context(request, pk)
    qr_svg = context["qr"].svg_inline(scale=3, omitsize=False)
    context["qr_svg"] = mark_safe(qr_svg)  # noqa: S308 (segno's own SVG)
    return render(request, "transfers/manifest_print.html", context)


@login_required
def manifest_pdf(request: SignedInRequest, pk: int) -> HttpResponse:
    """The same copy as a PDF file, for archives and for mail: laid out on A4 by transfers.pdf."""
    context = print_context(request, pk)
    manifest = context["manifest"]
    response = HttpResponse(render_manifest_pdf(context), content_type="application/pdf")
    name = manifest.number or f"draft-{manifest.pk}"
    response["Content-Disposition"] = f'inline; filename="manifest-{name}.pdf"'
    return response


def _read(token: str) -> tuple[int, str] | str:
    """(id, version) from a token, or why it cannot be read: "expired" or "invalid"."""
    try:
        value = _signer().unsign(token, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return "expired"
    except signing.BadSignature:
        return "invalid"
    pk, _sep, version = value.partition(".")
    if (number := ascii_whole_number(pk)) is None or not version:
        return "invalid"
    return number, version


def _unverifiable(request: HttpRequest, problem: str) -> HttpResponse:
    # Forged, garbled, expired or of a manifest no longer on record: a page in the site's layout that says
    # so, not a bare "Not Found".
    return render(request, "transfers/verify.html", {"problem": problem}, status=410 if problem == "expired" else 404)


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: whoever scans a printed copy sees whether it is genuine and current, its status, parties,
    waste, quantities and dates: what is needed to compare the paper with the record, and nothing of the
    people, vehicle or batches."""
    read = _read(token)
    if isinstance(read, str):
        return _unverifiable(request, read)
    pk, version = read
    # A signed id is the only key accepted here, so this lookup needs no tenancy filter.
    manifest = Manifest.objects.select_related("consignor", "carrier", "receiver").filter(pk=pk).first()
    if manifest is None:
        return _unverifiable(request, "invalid")
    context = {
        "manifest": manifest,
        # What the paper can be compared with: the waste and its quantities, and the dates of each step.
        "lines": list(manifest.lines.select_related("waste_code", "treatment_method").order_by("line_no")),
        "is_draft": manifest.status == ManifestStatus.DRAFT,
        "out_of_date": version != _version(manifest),
    }
    return render(request, "transfers/verify.html", context)
