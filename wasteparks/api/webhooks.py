"""`/api/v1/webhooks/`: an API client's own webhook subscriptions, their delivery log, replay, re-enable.

Managing its subscriptions is a client's own configuration, not a write to the platform's records, so a
read-only client (the provincial platform) may do it too. Only API clients subscribe: deliveries are
signed for, and scoped to, a client (wasteparks/webhooks.py).
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from registry.models import ApiClient, ApiScope

from .. import webhooks
from ..models import WebhookDelivery, WebhookEventType, WebhookSubscription
from .viewsets import ApiViewMixin, TenantQuerysetMixin


class IsSubscribingClient(BasePermission):
    """The caller is an API client that can see something (a device client sees nothing to be told of)."""

    message = _("Only an API client may manage webhooks.")
    code = "not_an_api_client"

    def has_permission(self, request, view) -> bool:
        client = ApiClient.objects.filter(user_id=request.user.pk).only("scope").first()
        return client is not None and client.scope != ApiScope.DEVICE


class NewestFirst(CursorPagination):
    """The delivery log: newest first, cut by id (a log row is never changed after its last attempt). In
    the API's one listing shape, `next`, `resume` and `results`; a log is read, not synced, so `resume` is
    always null (as for any list read with `ordering`)."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "resume": None, "results": data})

    def get_paginated_response_schema(self, schema):
        listing = super().get_paginated_response_schema(schema)
        listing["properties"].pop("previous", None)
        listing["properties"]["resume"] = {"type": "string", "format": "uri", "nullable": True}
        listing["required"] = ["next", "resume", "results"]
        return listing


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "event_types",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class NewSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret; shown in this answer only.")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionInput(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices), min_length=1, max_length=20
    )


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "response_excerpt",
            "last_duration_ms",
            "created_at",
            "last_attempt_at",
            "delivered_at",
            "next_attempt_at",
        ]
        read_only_fields = fields


class DeliveryPageSerializer(serializers.Serializer):
    """A page of the delivery log."""

    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null on the last.")
    resume = serializers.URLField(allow_null=True, help_text="Always null: a log is read, not synced.")
    results = DeliverySerializer(many=True)


class WebhookViewSet(
    ApiViewMixin,
    TenantQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your client's webhook subscriptions. The signing secret is in the creation answer only."""

    queryset = WebhookSubscription.objects.all()
    # A client's own configuration, not data a mirror keeps (manage.py check_sync leaves it out).
    mirrored = False
    serializer_class = SubscriptionSerializer
    permission_classes = [IsAuthenticated, IsSubscribingClient]

    def create(self, request, *args, **kwargs):
        data = self.validated(SubscriptionInput)
        client = ApiClient.objects.get(user_id=request.user.pk)
        subscription = webhooks.subscribe(client=client, url=data["url"], event_types=data["event_types"])
        return Response(NewSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        data = self.validated(
            SubscriptionInput,
            data={"url": subscription.url, "event_types": subscription.event_types, **request.data},
        )
        webhooks.change_subscription(subscription=subscription, url=data["url"], event_types=data["event_types"])
        return self.answer(subscription)

    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        """Enable a subscription again (after it was disabled for failing); its failure count restarts."""
        subscription = webhooks.reenable_subscription(subscription=self.get_object())
        return self.answer(subscription)

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="The page to read: follow `next` as given."),
            OpenApiParameter("page_size", int, description="Deliveries a page, at most 1000 (default 100)."),
        ],
        responses=DeliveryPageSerializer,
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The subscription's deliveries, newest first."""
        subscription = self.get_object()
        paginator = NewestFirst()
        page = paginator.paginate_queryset(
            WebhookDelivery.objects.visible_to(request.user).filter(subscription=subscription), request, view=self
        )
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)

    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[0-9]{1,18})/replay")
    def replay(self, request, pk=None, delivery_id=None):
        """Send a delivery again, with the same event id."""
        subscription = self.get_object()
        delivery = get_object_or_404(
            WebhookDelivery.objects.visible_to(request.user).filter(subscription=subscription), pk=delivery_id
        )
        delivery = webhooks.replay_delivery(delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


routes = [("webhooks", WebhookViewSet, "webhook")]
