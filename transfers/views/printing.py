"""The print copy of a manifest and its public verification: the QR code on paper leads to a page that
shows whoever scans it that the copy is genuine, and its status, nothing more."""

import segno
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from wasteparks.pages import SignedInRequest

from ..models import Manifest
from .common import visible_manifest
from .manifests import detail_context

VERIFY_SALT = "transfers.manifest.verify"


def verification_token(manifest: Manifest) -> str:
    """A signed reference to the manifest: it cannot be guessed from the id, and needs no stored field."""
    return signing.Signer(salt=VERIFY_SALT, sep=".").sign(str(manifest.pk))


@login_required
def manifest_print(request: SignedInRequest, pk: int) -> HttpResponse:
    context = detail_context(request, visible_manifest(request, pk))
    verify_url = request.build_absolute_uri(reverse("transfers:verify", args=[verification_token(context["manifest"])]))
    qr_svg = segno.make(verify_url, error="m").svg_inline(scale=3, omitsize=False)
    context.update({"verify_url": verify_url, "qr_svg": mark_safe(qr_svg)})  # noqa: S308 (segno's own SVG)
    return render(request, "transfers/manifest_print.html", context)


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: whoever scans a printed copy sees that it is genuine and its status, nothing more."""
    try:
        pk = int(signing.Signer(salt=VERIFY_SALT, sep=".").unsign(token))
    except (signing.BadSignature, ValueError):
        raise Http404 from None
    # A signed id is the only key accepted here, so this lookup needs no tenancy filter.
    manifest = get_object_or_404(Manifest.objects.select_related("consignor", "carrier", "receiver"), pk=pk)
    return render(request, "transfers/verify.html", {"manifest": manifest})
