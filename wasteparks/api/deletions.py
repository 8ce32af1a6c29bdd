"""`/api/v1/deletions/`: the rows deleted from a synced collection, so a mirror can delete its copy.

Rows are rarely deleted (a recomputed month whose figures no longer exist is one case); each deletion
leaves a tombstone written in the deleting transaction by a database trigger (wasteparks/sync.py). It
syncs like every collection, and a client sees the tombstones of rows it could see.
"""

from rest_framework import serializers

from ..models import Tombstone
from .filters import SyncFilterSet
from .viewsets import ReadOnlyViewSet


class TombstoneSerializer(serializers.ModelSerializer):
    collection = serializers.CharField(read_only=True, help_text="The collection the row was in, e.g. `utilization`.")
    object_id = serializers.IntegerField(read_only=True, help_text="The deleted row's `id` in that collection.")
    deleted_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Tombstone
        fields = ["id", "collection", "object_id", "deleted_at", "updated_at"]


class TombstoneFilter(SyncFilterSet):
    class Meta:
        model = Tombstone
        fields = ["collection"]


class TombstoneViewSet(ReadOnlyViewSet):
    """Rows deleted from the collections: delete `object_id` from `collection` in your mirror."""

    queryset = Tombstone.objects.all()
    serializer_class = TombstoneSerializer
    filterset_class = TombstoneFilter


routes = [("deletions", TombstoneViewSet, "deletion")]
