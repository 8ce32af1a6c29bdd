"""Base views for every endpoint under /api/v1/ (see the package docstring for how to use them)."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from wasteparks.db_router import ReplicaReadsMixin

from . import idempotency
from .errors import RequestTooLarge
from .pagination import SyncPagination
from .parsers import StrictJSONParser

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

    # The checker reads the tenant mixin as the GenericAPIView it is always mixed into, so that its
    # request and lookups are typed; at run time it is a plain mixin.
    _GenericView = GenericAPIView
else:
    _GenericView = object


class ApiViewMixin:
    """Size limit, throttling before permissions, idempotent transactional writes."""

    _idempotency_claim = None
    # Declared as APIView declares it, so that the views mixing this in agree with their DRF base.
    parser_classes: Sequence[type[BaseParser]] = [StrictJSONParser]

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        # A write and its idempotency record commit together or not at all; an error answer rolls back.
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            elif self._idempotency_claim is not None:
                idempotency.store(self._idempotency_claim, response)
        return response

    def initial(self, request, *args, **kwargs):
        self._check_size(request)
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(request)
        request.version, request.versioning_scheme = self.determine_version(request, *args, **kwargs)
        # Throttle before permissions and even after a failed authentication: a client guessing tokens
        # must be slowed down too (DRF's default order answers 401 before counting).
        try:
            self.perform_authentication(request)
        except exceptions.AuthenticationFailed:
            self.check_throttles(request)
            raise
        self.check_throttles(request)
        self.check_permissions(request)
        if request.method not in SAFE_METHODS:
            self._idempotency_claim = idempotency.claim(request, request.user)

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return super().handle_exception(exc)

    @staticmethod
    def _check_size(request) -> None:
        # DRF's parsers read the stream directly, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE check.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise exceptions.ParseError(_("The Content-Length header is not a number.")) from None
        if limit is not None and length > limit:
            raise RequestTooLarge(
                _("The request body has %(size)d bytes; the limit is %(limit)d.") % {"size": length, "limit": limit}
            )


class TenantQuerysetMixin(_GenericView):
    """Objects come only through queryset.visible_to(user): others' objects are 404.

    Mixed into a DRF GenericAPIView (a viewset), whose request and lookups it uses."""

    pagination_class = SyncPagination
    # Ids are ASCII digits: int() would also read "０１" (full-width) or "١" (Arabic-Indic) as a number.
    lookup_value_regex = "[0-9]{1,18}"
    sync_ordering: tuple[str, ...] = ("updated_at", "id")
    ordering_fields: tuple[str, ...] = ()

    def get_queryset(self):
        queryset = super().get_queryset()
        if not hasattr(queryset, "visible_to"):
            raise ImproperlyConfigured(f"{type(self).__name__}: {queryset.model.__name__} has no visible_to().")
        return queryset.visible_to(self.request.user)

    def validated(self, serializer_class, data=None) -> dict:
        """The request body (or `data`) validated by an input serializer; a 400 with field messages if not.

        On a detail route the object is looked up first, so another tenant's object is a 404 whatever
        the body says."""
        if getattr(self, "detail", False):
            self.get_object()
        form = serializer_class(data=self.request.data if data is None else data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return form.validated_data

    def answer(self, obj, code: int = status.HTTP_200_OK) -> Response:
        """The object as the collection serves it, read again through the tenant queryset after a write."""
        return Response(self.get_serializer_class()(self.get_queryset().get(pk=obj.pk)).data, status=code)


class ReadOnlyViewSet(ReplicaReadsMixin, ApiViewMixin, TenantQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """list + retrieve."""


class WriteViewSet(
    ReplicaReadsMixin,  # lists and lookups; a write pins the request to the primary (wasteparks/db_router.py)
    ApiViewMixin,
    TenantQuerysetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """list + retrieve + create + update/partial_update (no delete: synced rows keep a status instead).

    Restrict with `http_method_names`, e.g. ["get", "patch", "head", "options"] for update-only.
    """
