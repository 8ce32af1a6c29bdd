"""Device telemetry: api. `POST /api/v1/telemetry/readings/`, for devices only (docs/telemetry.md).

The device authenticates with its own token (an API client of the device scope). The body is
{"readings": [...]} (at most TELEMETRY_BATCH_MAX); each reading is stored, ignored as a duplicate or
refused with a reason by `ingest_readings`, the same service the MQTT consumer writes through. The answer
is 200 with what became of each; 400 for a body that is not a batch; 401 for an unknown, revoked or
expired credential (a revoked device's attempt is counted in its health); 403 for a credential that is
not a device's or a deactivated device; 429 with Retry-After beyond the device's allowance.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.models import ApiScope, Device
from registry.tenancy import scope_of
from wasteparks.api.parsers import StrictJSONParser
from wasteparks.api.permissions import WritesNeedWriteScope
from wasteparks.api.viewsets import ApiViewMixin

from ..models.telemetry import ReadingOutcome, ReadingSource
from ..services.telemetry import Throttled, ingest_readings, refuse_device


class BatchSerializer(serializers.Serializer):
    readings = serializers.ListField(
        child=serializers.JSONField(),
        min_length=1,
        help_text="Readings: {id, at, value, lat?, lon?, manifest?, facility?} (docs/telemetry.md).",
    )

    def validate_readings(self, value):
        if len(value) > settings.TELEMETRY_BATCH_MAX:
            raise serializers.ValidationError(
                _("Send at most %(count)s readings at once.") % {"count": settings.TELEMETRY_BATCH_MAX}
            )
        return value


class ReadingIngestView(APIView):
    """Not ApiViewMixin's one transaction per write: a refusal answered with 401 or 429 must still be
    counted in the device's health, and the readings need no Idempotency-Key (their ids make a retry
    harmless). A plain view mounted by wasteparks/api/urls.py, not a router collection: it serves no rows,
    and everything the router serves is a collection of a model (check_sync, the schema tests)."""

    parser_classes = [StrictJSONParser]
    serializer_class = BatchSerializer
    # Not WritesNeedWriteScope: a device's scope reads nothing, yet posts its readings here.
    permission_classes = [IsAuthenticated]

    def initial(self, request, *args, **kwargs):
        ApiViewMixin._check_size(request)
        super().initial(request, *args, **kwargs)

    def perform_authentication(self, request):
        try:
            super().perform_authentication(request)
        except exceptions.AuthenticationFailed as error:
            if error.get_codes() in ("token_revoked", "token_expired"):
                _count_refused_device(request)
            raise

    @extend_schema(
        request=BatchSerializer,
        responses={
            200: inline_serializer(
                "ReadingIngestResult",
                {
                    "accepted": serializers.IntegerField(),
                    "duplicates": serializers.ListField(child=serializers.CharField()),
                    "refused": serializers.ListField(child=serializers.DictField()),
                },
            ),
        },
    )
    def post(self, request):
        client = request.auth
        device = getattr(client, "device", None) if client is not None else None
        if device is None or client.scope != ApiScope.DEVICE:
            if scope_of(request.user).read_only:
                raise exceptions.PermissionDenied(WritesNeedWriteScope.message, code=WritesNeedWriteScope.code)
            raise exceptions.PermissionDenied(_("Only a device's credential posts readings."), code="not_a_device")
        form = BatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            result = ingest_readings(device=device, readings=form.validated_data["readings"], source=ReadingSource.HTTP)
        except Throttled as error:
            raise exceptions.Throttled(wait=error.retry_after, detail=error.message) from None
        return Response(result.as_dict())


def _count_refused_device(request) -> None:
    """Count a revoked or expired device's attempt in its health. verify_token says "revoked" or
    "expired" only once the token's hash matched: the device is genuine."""
    token = request.META.get("HTTP_AUTHORIZATION", "").split()[-1]
    prefix = token.split("_")[1] if token.count("_") >= 2 else ""
    device = Device.objects.filter(client__token_prefix=prefix).first()
    if device is not None:
        refuse_device(device=device, reason=ReadingOutcome.REVOKED)
