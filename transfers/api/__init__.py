"""Transfer endpoints under /api/v1/: manifests with their signatures, revision requests, ledger entries
and stock.

Serializers turn bad input into 400s with field messages; services decide who may do what (403),
whether the status allows it (409) and which rule refuses it (400 with the rule's code).

    serializers  read serializers          inputs    input serializers
    feed         the fast manifest list    filters   query filters
    viewsets     the endpoints             revisions the revision requests: propose, approve, refuse

The project router (wasteparks.api.router) registers `routes`.
"""

from .containers import ContainerViewSet
from .revisions import RevisionRequestViewSet
from .serializers import ManifestSerializer
from .viewsets import LedgerEntryViewSet, ManifestViewSet, StockViewSet

routes = [
    ("manifests", ManifestViewSet, "manifest"),
    ("ledger-entries", LedgerEntryViewSet, "ledger-entry"),
    ("stock", StockViewSet, "stock"),
    ("revision-requests", RevisionRequestViewSet, "revision-request"),
    ("containers", ContainerViewSet, "container"),
]

__all__ = ["LedgerEntryViewSet", "ManifestSerializer", "ManifestViewSet", "StockViewSet", "routes"]
