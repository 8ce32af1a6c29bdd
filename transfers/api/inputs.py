"""Input serializers: what the API accepts for a draft, each signature and a ledger entry. They turn bad
input into 400s with field messages; the services decide everything else.

The other parties of a manifest (carrier, receiver, the driver at pickup) and its transfer approval are
picked from the same choices the web form offers (transfers.services.common); any other id gets one answer
per field that names nothing, whether it does not exist, is another tenant's or is not fit for the part.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from registry.models import (
    Enterprise,
    Facility,
    ManagementMethod,
    TransferApproval,
    User,
    WasteClass,
    WasteCode,
)
from wasteparks.api.aliases import DeprecatedNamesMixin
from wasteparks.api.serializers import StrictSerializer
from wasteparks.bounds import EVENT, PLAN
from wasteparks.parsing import ascii_whole_number

from .. import rules, services
from ..models import Acceptance, PackagingType, PhysicalForm, Purpose
from ..services.common import carrier_drivers, choosable_carriers, choosable_receivers
from ..services.ledger import REASON_MAX_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def tonnes(**kwargs) -> serializers.DecimalField:
    """A quantity in tonnes: a decimal with at most 4 places, above 0 and at most the per-line limit."""
    kwargs.setdefault("min_value", rules.MIN_QUANTITY_T)
    return serializers.DecimalField(
        max_digits=14, decimal_places=rules.QUANTITY_PLACES, max_value=rules.MAX_LINE_QUANTITY_T, **kwargs
    )


def _code_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", queryset=WasteCode.objects.all(), **kwargs)


def _method_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", queryset=ManagementMethod.objects.all(), **kwargs)


class _VisibleField(serializers.PrimaryKeyRelatedField):
    """A reference to a row the caller may see: anything else 'does not exist' (no tenant leaks)."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        return queryset.visible_to(request.user) if request is not None else queryset.none()


Offered = Callable[[Any, dict], QuerySet]


class _ChoiceField(serializers.PrimaryKeyRelatedField):
    """An id the caller picks among `offered(user, context)`, the rows the web form offers them.

    Every other id is refused with `refusal` alone: an id that does not exist, another tenant's, one not
    registered, verified and active for the part, or one written with other than ASCII digits gets the
    same answer, so walking ids tells nothing apart. `queryset` names the model (for the schema).
    """

    def __init__(self, *, offered: Offered, refusal: StrOrPromise, **kwargs):
        self.offered = offered
        kwargs["error_messages"] = {"does_not_exist": refusal, "incorrect_type": refusal}
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return super().get_queryset().none()
        return self.offered(request.user, self.context)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type")
        if isinstance(data, str) and ascii_whole_number(data) is None:
            self.fail("does_not_exist")
        return super().to_internal_value(data)


def _visible_approvals(user, context: dict) -> QuerySet[TransferApproval]:
    return TransferApproval.objects.visible_to(user)


def _drivers_of_the_carrier(user, context: dict) -> QuerySet[User]:
    """The carrier's drivers and administrators, for the manifest of the detail route (read through the
    view, so through the tenant queryset)."""
    return carrier_drivers(context["view"].get_object().carrier_id)


class LineInputSerializer(StrictSerializer):
    waste_code = _code_field()
    source_facility = _VisibleField(queryset=Facility.objects.all())
    declared_quantity_t = tonnes()
    packaging_type = serializers.ChoiceField(PackagingType.choices)
    packaging_count = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    physical_form = serializers.ChoiceField(PhysicalForm.choices)
    hazard = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    batch_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class ManifestInputSerializer(StrictSerializer):
    consignor = _VisibleField(queryset=Enterprise.objects.all())
    # Usually other tenants (other parks too): the active carriers and receivers the form offers.
    carrier = _ChoiceField(
        queryset=Enterprise.objects.all(),
        offered=lambda user, context: choosable_carriers(user),
        refusal=_("Choose a valid carrier."),
    )
    receiver = _ChoiceField(
        queryset=Enterprise.objects.all(),
        offered=lambda user, context: choosable_receivers(user),
        refusal=_("Choose a valid receiver."),
    )
    waste_class = serializers.ChoiceField(WasteClass.choices)
    purpose = serializers.ChoiceField(Purpose.choices)
    planned_date = serializers.DateField(validators=[PLAN])
    vehicle_plate = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    approval = _ChoiceField(
        queryset=TransferApproval.objects.all(),
        offered=_visible_approvals,
        refusal=_("Choose a valid transfer approval."),
        required=False,
        allow_null=True,
        default=None,
    )
    lines = serializers.ListField(child=LineInputSerializer(), min_length=1, max_length=rules.MAX_LINES_PER_MANIFEST)

    @staticmethod
    def line_inputs(lines: list[dict]) -> list[services.LineInput]:
        return [services.LineInput(**line) for line in lines]


class DraftUpdateSerializer(ManifestInputSerializer):
    """A draft's editable fields; all optional. `lines`, when given, replaces every line."""

    # DRF drops a field a subclass sets to None (the consignor of a draft is fixed); the stubs only allow
    # the base class's field type here.
    consignor = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class CommentSerializer(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PickupSerializer(CommentSerializer):
    vehicle_plate = serializers.CharField(max_length=16)
    driver = _ChoiceField(
        queryset=User.objects.all(),
        offered=_drivers_of_the_carrier,
        refusal=_("Choose a valid driver."),
        required=False,
        allow_null=True,
        default=None,
    )


class ReceiptLineSerializer(DeprecatedNamesMixin, StrictSerializer):
    # Written under the names a manifest line is read with; v1's names stay accepted (docs/api.md).
    deprecated_names = {"line": "line_no", "facility": "receiving_facility"}

    line_no = serializers.IntegerField(min_value=1)
    received_quantity_t = tonnes(min_value=0)
    acceptance = serializers.ChoiceField(Acceptance.choices)
    accepted_quantity_t = tonnes(required=False, allow_null=True, default=None)
    rejection_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    receiving_facility = _VisibleField(queryset=Facility.objects.all())


class ReceiptSerializer(CommentSerializer):
    lines = serializers.ListField(child=ReceiptLineSerializer(), min_length=1, max_length=rules.MAX_LINES_PER_MANIFEST)


class TreatmentLineSerializer(DeprecatedNamesMixin, StrictSerializer):
    deprecated_names = {"line": "line_no", "method": "treatment_method", "quantity_t": "treated_quantity_t"}

    line_no = serializers.IntegerField(min_value=1)
    treatment_method = _method_field()
    treated_quantity_t = tonnes()


class TreatmentSerializer(CommentSerializer):
    lines = serializers.ListField(
        child=TreatmentLineSerializer(), min_length=1, max_length=rules.MAX_LINES_PER_MANIFEST
    )


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class LedgerReversalSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class LedgerEntryInputSerializer(StrictSerializer):
    enterprise = _VisibleField(queryset=Enterprise.objects.all())
    facility = _VisibleField(queryset=Facility.objects.all())
    waste_code = _code_field()
    stage = serializers.ChoiceField(sorted(rules.MANUAL_STAGES))
    quantity_t = tonnes()
    occurred_at = serializers.DateTimeField(required=False, default=None, validators=[EVENT])
    batch_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    method = _method_field(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class LedgerMoveInputSerializer(StrictSerializer):
    """A move between two stores of the same enterprise: one request, both legs (services.ledger.move_stock)."""

    enterprise = _VisibleField(queryset=Enterprise.objects.all())
    from_facility = _VisibleField(queryset=Facility.objects.all())
    to_facility = _VisibleField(queryset=Facility.objects.all())
    waste_code = _code_field()
    quantity_t = tonnes()
    occurred_at = serializers.DateTimeField(required=False, default=None, validators=[EVENT])
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default="")
