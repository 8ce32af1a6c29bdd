"""The by-product exchange: the listings of the province, publishing and withdrawing them, a stream's ranked
matches and "prepare a manifest to this receiver" (reporting/symbiosis/exchange.py and matching.py)."""

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.tenancy import scope_of
from transfers.models import Party
from transfers.rules import party_enterprise_ids
from transfers.views.common import field_errors, form_page
from wasteparks.db_router import reads_from_replica
from wasteparks.errors import DomainError
from wasteparks.pages import SignedInRequest

from ..forms.exchange import OfferListingForm, StreamListingForm
from ..models.exchange import ListingStatus, OfferListing, StreamListing
from ..symbiosis import exchange
from ..symbiosis.matching import matching_day, rank_matches

L = TypeVar("L", StreamListing, OfferListing)


def _own(request: SignedInRequest, party: str) -> frozenset[int]:
    return party_enterprise_ids(scope_of(request.user), party)


@login_required
@reads_from_replica
def exchange_page(request: SignedInRequest) -> HttpResponse:
    """The open listings of the province (streams by code, offers by receiver), with the live licence room of
    each offer; the user's own listings can be withdrawn, and its own and its officers' streams matched."""
    own_consignors, own_receivers = _own(request, Party.CONSIGNOR), _own(request, Party.RECEIVER)
    streams = list(exchange.open_streams(request.user).order_by("waste_code__code", "-created_at")[:200])
    offers = list(exchange.open_offers(request.user).order_by("enterprise__name", "-created_at")[:200])
    rooms = exchange.offer_rooms(offers)
    shown = [stream.pk for stream in streams]
    managed = set(exchange.managed_streams(request.user).filter(pk__in=shown).values_list("pk", flat=True))
    return render(
        request,
        "reporting/exchange.html",
        {
            "streams": streams,
            "offers": [(offer, rooms[offer.pk]) for offer in offers],
            "managed": managed,
            "own_consignors": own_consignors,
            "own_receivers": own_receivers,
            "may_publish_stream": bool(own_consignors),
            "may_publish_offer": bool(own_receivers),
            "is_officer": scope_of(request.user).is_officer or scope_of(request.user).everything,
        },
    )


@login_required
def stream_new(request: SignedInRequest) -> HttpResponse:
    initial = _initial(request, ("enterprise", "waste_code", "monthly_t"))
    form = StreamListingForm(request.POST or None, user=request.user, initial=initial)
    if not form.fields["enterprise"].queryset.exists():  # type: ignore[attr-defined]
        raise PermissionDenied(_("Only an administrator or preparer of an enterprise publishes its streams."))
    status, listing = _published(request, form, exchange.publish_stream)
    if listing is not None:
        messages.success(request, _("Stream published. Here are the receivers that may take it."))
        return redirect("reporting:exchange_stream", pk=listing.pk)
    suggestions = {
        enterprise: exchange.recurring_streams(enterprise)
        for enterprise in form.fields["enterprise"].queryset  # type: ignore[attr-defined]
    }
    return form_page(request, "reporting/exchange_stream_form.html", {"form": form, "suggestions": suggestions}, status)


def _published(request: SignedInRequest, form, publish: Callable[..., L]) -> tuple[int, L | None]:
    """A publishing form's post: the listing the service made, or the status to show the form again with
    (200 when nothing was posted, 400 for the form's own errors, the service's for its refusal)."""
    if request.method != "POST":
        return 200, None
    if not form.is_valid():
        return 400, None
    try:
        return 200, publish(actor=request.user, **form.cleaned_data)
    except DomainError as error:
        field_errors(form, error)
        return error.http_status, None


def _initial(request: SignedInRequest, names: tuple[str, ...]) -> dict:
    """A suggestion picked on the page (?waste_code=...): only the form's first values, which the form
    validates when they are posted."""
    return {name: request.GET[name][:40] for name in names if name in request.GET}


@login_required
def offer_new(request: SignedInRequest) -> HttpResponse:
    initial = _initial(request, ("enterprise", "waste_code", "category", "method", "capacity_t"))
    form = OfferListingForm(request.POST or None, user=request.user, initial=initial)
    if not form.fields["enterprise"].queryset.exists():  # type: ignore[attr-defined]
        raise PermissionDenied(_("Only an administrator or preparer of a receiver publishes its offers."))
    status, listing = _published(request, form, exchange.publish_offer)
    if listing is not None:
        messages.success(request, _("Offer published."))
        return redirect("reporting:exchange")
    rooms = {enterprise: exchange.licensed_rooms(enterprise) for enterprise in form.fields["enterprise"].queryset}  # type: ignore[attr-defined]
    return form_page(request, "reporting/exchange_offer_form.html", {"form": form, "rooms": rooms}, status)


def _managed_stream(request: SignedInRequest, pk: int) -> StreamListing:
    """A stream whose matches the user may see; any other (another tenant's, or none) is 404 alike."""
    return get_object_or_404(exchange.managed_streams(request.user), pk=pk)


@login_required
def stream_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    stream = _managed_stream(request, pk)
    may_prepare = stream.enterprise_id in _own(request, Party.CONSIGNOR) and stream.status == ListingStatus.OPEN
    return render(
        request,
        "reporting/exchange_stream.html",
        {
            "stream": stream,
            "matches": rank_matches(stream),
            "day": matching_day(stream),
            "may_prepare": may_prepare,
            "may_withdraw": may_prepare,
        },
    )


@login_required
def stream_prepare(request: SignedInRequest, pk: int, receiver_pk: int) -> HttpResponse:
    """Accept a match: the manifest form, filled with the stream's consignor, code and a month's tonnes, this
    receiver and the purpose it ranked for. Only a match that is still legal today, for a consignor the
    user prepares manifests for."""
    stream = _managed_stream(request, pk)
    if stream.enterprise_id not in _own(request, Party.CONSIGNOR):
        raise PermissionDenied(_("Only the stream's own enterprise prepares its manifests."))
    match = next((m for m in rank_matches(stream) if m.receiver.pk == receiver_pk), None)
    if match is None:
        messages.error(request, _("That receiver may no longer take this stream; the list is up to date again."))
        return redirect("reporting:exchange_stream", pk=stream.pk)
    query = {
        "consignor": stream.enterprise_id,
        "receiver": receiver_pk,
        "purpose": match.kind,
        "waste_class": stream.waste_code.waste_class,
        "waste_code": stream.waste_code.code,
        "quantity": f"{stream.monthly_t.normalize():f}",
        "planned_date": matching_day(stream).isoformat(),
    }
    return redirect(f"{reverse('transfers:manifest_new')}?{urlencode(query)}")


@require_POST
@login_required
def listing_withdraw(request: SignedInRequest, kind: str, pk: int) -> HttpResponse:
    """A listing the user can see (else 404); withdrawn only by its own enterprise's staff (the service says so
    to anyone else)."""
    if kind == "streams":
        listing: StreamListing | OfferListing = _managed_stream(request, pk)
    elif kind == "offers":
        listing = get_object_or_404(exchange.open_offers(request.user), pk=pk)
    else:
        raise Http404
    try:
        exchange.withdraw_listing(actor=request.user, listing=listing)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Listing withdrawn."))
    return redirect("reporting:exchange")


urlpatterns = [
    path("exchange/", exchange_page, name="exchange"),
    path("exchange/streams/new/", stream_new, name="exchange_stream_new"),
    path("exchange/offers/new/", offer_new, name="exchange_offer_new"),
    path("exchange/streams/<int:pk>/", stream_detail, name="exchange_stream"),
    path("exchange/streams/<int:pk>/prepare/<int:receiver_pk>/", stream_prepare, name="exchange_prepare"),
    path("exchange/<str:kind>/<int:pk>/withdraw/", listing_withdraw, name="exchange_withdraw"),
]
