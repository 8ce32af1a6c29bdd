"""The print copy of a manifest and its public verification: the QR code on paper leads to a page that
shows whoever scans it whether the copy is genuine and current, and its status, nothing more.

The token signs the manifest's id, when the copy was printed and the version of the manifest it shows:
"d" for a draft (which is no manifest yet), else the number of revisions applied to it. A copy printed
before a revision (or a draft's copy after the manifest was signed) reads as out of date, and a token
older than the ten years the records are kept is expired.
"""

from datetime import timedelta

import segno
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from wasteparks.pages import SignedInRequest

from ..models import Manifest, ManifestStatus, RevisionRequest, RevisionStatus
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


@login_required
def manifest_print(request: SignedInRequest, pk: int) -> HttpResponse:
    context = detail_context(request, visible_manifest(request, pk))
    verify_url = request.build_absolute_uri(reverse("transfers:verify", args=[verification_token(context["manifest"])]))
    qr_svg = segno.make(verify_url, error="m").svg_inline(scale=3, omitsize=False)
    context.update({"verify_url": verify_url, "qr_svg": mark_safe(qr_svg)})  # noqa: S308 (segno's own SVG)
    return render(request, "transfers/manifest_print.html", context)


def _read(token: str) -> tuple[int, str] | str:
    """(id, version) from a token, or why it cannot be read: "expired" or "invalid"."""
    try:
        value = _signer().unsign(token, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return "expired"
    except signing.BadSignature:
        return "invalid"
    pk, _sep, version = value.partition(".")
    if not (pk.isascii() and pk.isdigit() and version):
        return "invalid"
    return int(pk), version


def _unverifiable(request: HttpRequest, problem: str) -> HttpResponse:
    # Forged, garbled, expired or of a manifest no longer on record: a page in the site's layout that says
    # so, not a bare "Not Found".
    return render(request, "transfers/verify.html", {"problem": problem}, status=410 if problem == "expired" else 404)


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: whoever scans a printed copy sees whether it is genuine and current, and its status."""
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
        "is_draft": manifest.status == ManifestStatus.DRAFT,
        "out_of_date": version != _version(manifest),
    }
    return render(request, "transfers/verify.html", context)
