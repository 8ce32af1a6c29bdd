"""The REST API machinery under /api/v1/: every app's endpoints are built on it.

Adding a collection to an app
-----------------------------
In ``<app>/api.py``::

    from wasteparks.api.filters import SyncFilterSet
    from wasteparks.api.serializers import StrictModelSerializer
    from wasteparks.api.viewsets import ReadOnlyViewSet, WriteViewSet

    class ManifestFilter(SyncFilterSet):          # gives ?updated_after= for free
        class Meta:
            model = Manifest
            fields = {"status": ["exact"], "consignor": ["exact"]}

    class ManifestViewSet(ReadOnlyViewSet):       # or WriteViewSet for create/update
        queryset = Manifest.objects.select_related(...).prefetch_related(...)
        serializer_class = ManifestSerializer     # StrictModelSerializer refuses unknown fields
        filterset_class = ManifestFilter
        ordering_fields = ("updated_at", "number")  # optional ?ordering=; non-null columns only

    routes = [("manifests", ManifestViewSet, "manifest")]   # (prefix, viewset, basename)

``wasteparks.api.router`` imports ``registry.api``, ``transfers.api`` and ``reporting.api`` and registers
every entry of their ``routes``; URL names are ``api:<basename>-list`` / ``api:<basename>-detail``.

What a viewset from ``wasteparks.api.viewsets`` does without further code
-----------------------------------------------------------------------
- Tenancy: ``get_queryset()`` returns ``queryset.visible_to(request.user)``; the model's queryset must
  define ``visible_to``. Objects outside the caller's tenancy are therefore 404. Do not override
  ``get_queryset`` without calling ``super()``.
- Authentication: ``Authorization: Bearer <token>`` (API clients) or the session (with CSRF).
- Permissions: authenticated; any POST/PUT/PATCH/DELETE by a read-only scope (``read:all``) is 403.
  Object-level write rights are the service's job: raise ``wasteparks.errors.NotPermitted``.
- Sync pagination: runs between database snapshots in (sync_version, id) order (wasteparks/sync.py),
  ``page_size`` 100 by default, at most 1000; response ``{"next": <url|null>, "resume": <url|null>,
  "results": [...]}``. Every synced model is ``Timestamped`` and its migration calls
  ``track_changes()``; a model without ``sync_version`` is paged by ``sync_ordering`` (a unique, non-null
  column) and has no ``resume``.
- Errors: anything raised (DomainError, DRF and Django errors, IntegrityError, the unexpected) becomes
  ``{"error": {"code", "message", "fields"}}`` with the right status; a TransitionNotAllowed is 409.
- Writes run in one transaction that is rolled back on any error response, and honour the
  ``Idempotency-Key`` header (replay of the stored response; 422 for the same key with another body).
- Body size limit (413), JSON only (415 otherwise), throttling (429 with Retry-After).

Custom actions (``@action(detail=True, methods=["post"])``) get all of the above too; fetch the object
with ``self.get_object()`` so tenancy applies, call a service, and return its result serialized. Describe
request and response bodies with ``drf_spectacular.utils.extend_schema`` so the OpenAPI schema stays
complete. A plain endpoint that is not a viewset mixes ``ApiViewMixin`` into DRF's ``APIView``.
"""
