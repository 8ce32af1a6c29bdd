"""What the transfer pages share: the manifest lookup through tenancy, a refusal shown next to its field,
the safe return address, and the page frame of the forms that take waste codes."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme

from registry.models import WasteCode
from wasteparks.errors import DomainError

from ..models import Manifest


def visible_manifest(request: HttpRequest, pk: int) -> Manifest:
    """The manifest if the user may see it; a 404 for anyone else's."""
    return get_object_or_404(
        Manifest.objects.visible_to(request.user).select_related("consignor", "carrier", "receiver"), pk=pk
    )


def field_errors(form, error: DomainError) -> None:
    """Put a service's refusal next to the field it names, or at the top of the form."""
    field = next((name for name in error.fields if name in form.fields), None)
    form.add_error(field, error.message)


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def form_page(request: HttpRequest, template: str, context: dict, status: int) -> HttpResponse:
    """A form page with the catalogue's codes offered as suggestions for its waste code fields."""
    context["codes"] = WasteCode.objects.active().values_list("code", WasteCode.name_field())
    return render(request, template, context, status=status)
