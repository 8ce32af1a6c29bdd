"""Transfer forms: list filters, the enterprise portal's entries and the manifest signatures.

Forms turn bad input into field messages before any service runs; the services still check every rule
(who signs, which status, which permit) and their refusals come back as form errors.
"""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from registry.models import (
    Enterprise,
    EnterpriseRole,
    Facility,
    ManagementMethod,
    TransferApproval,
    User,
    WasteClass,
    WasteCode,
)
from registry.tenancy import scope_of
from wasteparks.bounds import EVENT, PLAN
from wasteparks.forms import BootstrapFormMixin, CatalogueCodeField, QuantityField
from wasteparks.parsing import catalogue_code

from . import rules
from .models import (
    Acceptance,
    LedgerStage,
    ManifestStatus,
    PackagingType,
    Party,
    PhysicalForm,
    Purpose,
)
from .services.common import carrier_drivers, choosable_carriers, choosable_receivers
from .services.receivers import receiver_refusal


def DATE_INPUT() -> forms.DateInput:  # noqa: N802 (reads like the widget class it builds)
    # The browser's date picker reads and writes ISO dates whatever the page's language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The form's own copy of a model choice field declared on its class, to narrow its queryset to the
    user's rows."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField), name  # declared as one on the form class
    return field


class FacilityField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Facility) -> str:
        return obj.name


def tonnes_field(label, *, required: bool = True, allow_zero: bool = False, **kwargs) -> forms.DecimalField:
    """A quantity in tonnes with at most 4 decimal places (0.1 kg), within the per-line limit."""
    return QuantityField(
        label=label,
        required=required,
        min_value=Decimal("0") if allow_zero else rules.MIN_QUANTITY_T,
        max_value=rules.MAX_LINE_QUANTITY_T,
        max_digits=14,
        decimal_places=rules.QUANTITY_PLACES,
        **kwargs,
    )


def signing_enterprises(user, party: str):
    """The enterprises `user` may sign for as `party` (admin or preparer of a consignor, ...)."""
    return Enterprise.objects.filter(pk__in=rules.party_enterprise_ids(scope_of(user), party)).order_by("name")


class CodeField(forms.ModelChoiceField):
    """A waste code typed as its code (900-249-08), with the catalogue offered as suggestions."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=WasteCode.objects.active(),
            to_field_name="code",
            widget=forms.TextInput(attrs={"list": "waste-codes", "autocomplete": "off", "class": "mono"}),
            error_messages={"invalid_choice": _("This waste code is not in the catalogue.")},
            **kwargs,
        )

    def to_python(self, value):
        return super().to_python(catalogue_code(value) if isinstance(value, str) else value)


class MethodField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ManagementMethod) -> str:
        return str(obj)


# --- list filters ---------------------------------------------------------------------------------


class _FilterForm(BootstrapFormMixin, forms.Form):
    """A GET filter: every field optional; a value that does not parse is left out of the filter."""


class ManifestFilterForm(_FilterForm):
    q = forms.CharField(label=_("Number or enterprise"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ManifestStatus.choices]
    )
    waste_class = forms.ChoiceField(
        label=_("Waste class"), required=False, choices=[("", _("Any class")), *WasteClass.choices]
    )
    code = CatalogueCodeField(label=_("Waste code"), required=False, max_length=12)
    planned_from = forms.DateField(label=_("Planned from"), required=False, widget=DATE_INPUT())
    planned_to = forms.DateField(label=_("Planned to"), required=False, widget=DATE_INPUT())
    discrepancy = forms.BooleanField(label=_("Discrepancy only"), required=False)


class LedgerFilterForm(_FilterForm):
    q = forms.CharField(label=_("Enterprise, batch or note"), required=False, max_length=100)
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=[("", _("Any stage")), *LedgerStage.choices])
    code = CatalogueCodeField(label=_("Waste code"), required=False, max_length=12)
    occurred_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT())
    occurred_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT())


class StockFilterForm(_FilterForm):
    q = forms.CharField(label=_("Enterprise or facility"), required=False, max_length=100)
    code = CatalogueCodeField(label=_("Waste code"), required=False, max_length=12)
    waste_class = forms.ChoiceField(
        label=_("Waste class"), required=False, choices=[("", _("Any class")), *WasteClass.choices]
    )
    include_empty = forms.BooleanField(label=_("Include empty balances"), required=False)


# --- ledger entries -------------------------------------------------------------------------------


class LedgerEntryForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Enterprise"))
    facility = forms.ModelChoiceField(queryset=Facility.objects.none(), label=_("Facility"))
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[(value, label) for value, label in LedgerStage.choices if value in rules.MANUAL_STAGES],
    )
    waste_code = CodeField(label=_("Waste code"))
    quantity_t = tonnes_field(_("Quantity (t)"))
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        required=False,
        validators=[EVENT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to record the current time."),
    )
    method = MethodField(
        queryset=ManagementMethod.objects.active().filter(kind__in=["utilization", "disposal"]).in_code_order(),
        label=_("Management method"),
        required=False,
        help_text=_("Required for in-house utilization or disposal."),
    )
    batch_code = forms.CharField(label=_("Batch code"), required=False, max_length=64)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        enterprises = signing_enterprises(user, Party.CONSIGNOR)
        _choice_field(self, "enterprise").queryset = enterprises
        _choice_field(self, "facility").queryset = Facility.objects.filter(
            enterprise__in=enterprises, active=True
        ).select_related("enterprise")
        if len(enterprises) == 1:
            self.fields["enterprise"].initial = enterprises[0].pk

    def clean(self):
        cleaned = super().clean()
        enterprise, facility = cleaned.get("enterprise"), cleaned.get("facility")
        if enterprise and facility and facility.enterprise_id != enterprise.pk:
            self.add_error("facility", _("Choose one of the enterprise's own facilities."))
        stage, method = cleaned.get("stage"), cleaned.get("method")
        expected = rules.STAGE_METHOD_KIND.get(stage)
        if expected and method is None:
            self.add_error("method", _("Required for this stage."))
        elif expected and method and method.kind != expected:
            self.add_error("method", _("Choose a method of the kind this stage needs."))
        return cleaned


class StockMoveForm(BootstrapFormMixin, forms.Form):
    """A move of waste between two stores of the same enterprise: one action, out of one and into the other."""

    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Enterprise"))
    from_facility = FacilityField(queryset=Facility.objects.none(), label=_("From store"))
    to_facility = FacilityField(queryset=Facility.objects.none(), label=_("Into store"))
    waste_code = CodeField(label=_("Waste code"))
    quantity_t = tonnes_field(_("Quantity (t)"))
    occurred_at = forms.DateTimeField(
        label=_("Moved at"),
        required=False,
        validators=[EVENT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to record the current time."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        enterprises = signing_enterprises(user, Party.CONSIGNOR)
        _choice_field(self, "enterprise").queryset = enterprises
        facilities = Facility.objects.filter(enterprise__in=enterprises).select_related("enterprise")
        # Waste may leave a store that was closed; it only goes into an active one.
        _choice_field(self, "from_facility").queryset = facilities
        _choice_field(self, "to_facility").queryset = facilities.filter(active=True)
        if len(enterprises) == 1:
            self.fields["enterprise"].initial = enterprises[0].pk

    def clean(self):
        cleaned = super().clean()
        enterprise = cleaned.get("enterprise")
        for name in ("from_facility", "to_facility"):
            facility = cleaned.get(name)
            if enterprise and facility and facility.enterprise_id != enterprise.pk:
                self.add_error(name, _("Choose one of the enterprise's own facilities."))
        source, target = cleaned.get("from_facility"), cleaned.get("to_facility")
        if source and target and source.pk == target.pk:
            self.add_error("to_facility", _("Choose another store than the one the waste leaves."))
        return cleaned


# --- manifest preparation -------------------------------------------------------------------------


class ManifestForm(BootstrapFormMixin, forms.Form):
    consignor = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Consignor"))
    # Narrowed in __init__ to the parties this user may name (services.common.choosable_*): a choice
    # outside them is refused as "not one of the choices", without its name.
    carrier = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Carrier"))
    receiver = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Receiver"))
    waste_class = forms.ChoiceField(label=_("Waste class"), choices=WasteClass.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    planned_date = forms.DateField(label=_("Planned date"), widget=DATE_INPUT(), validators=[PLAN])
    vehicle_plate = forms.CharField(label=_("Vehicle plate"), required=False, max_length=16)
    emergency_measures = forms.CharField(
        label=_("Precautions and emergency measures"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Printed on the manifest for the driver: what to avoid, and what to do after a spill or fire."),
    )
    approval = forms.ModelChoiceField(
        queryset=TransferApproval.objects.none(),
        label=_("Cross-province transfer approval"),
        required=False,
        help_text=_("Only for hazardous or medical waste leaving the province; found automatically if empty."),
    )

    def __init__(self, *args, user: User, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        enterprises = signing_enterprises(user, Party.CONSIGNOR)
        _choice_field(self, "consignor").queryset = enterprises
        _choice_field(self, "approval").queryset = TransferApproval.objects.visible_to(user)
        _choice_field(self, "carrier").queryset = choosable_carriers(user)
        _choice_field(self, "receiver").queryset = choosable_receivers(user)
        if editing:
            # The consignor of a draft is fixed; a different consignor is a different manifest.
            del self.fields["consignor"]
        elif len(enterprises) == 1:
            self.fields["consignor"].initial = enterprises[0].pk
        self.fields["planned_date"].initial = timezone.localdate()

    def receiver_is_legal_for(self, *, consignor: Enterprise, lines: list) -> bool:
        """Once the lines' codes are known: the receiver must be one the consignor may legally send each
        code to on the planned date (services.receivers); otherwise a receiver error saying why."""
        data = self.cleaned_data
        totals: dict = {}
        for line in lines:
            if line.waste_code.waste_class != data["waste_class"]:
                continue  # a code of another class: the draft service refuses it, saying so
            totals[line.waste_code] = totals.get(line.waste_code, Decimal("0")) + line.declared_quantity_t
        for code, quantity in totals.items():
            reason = receiver_refusal(
                consignor=consignor,
                receiver=data["receiver"],
                waste_code=code,
                purpose=data["purpose"],
                day=data["planned_date"],
                quantity=quantity,
            )
            if reason:
                self.add_error("receiver", reason)
                return False
        return True


class ManifestLineForm(BootstrapFormMixin, forms.Form):
    waste_code = CodeField(label=_("Waste code"))
    source_facility = FacilityField(queryset=Facility.objects.none(), label=_("Shipped from facility"))
    declared_quantity_t = tonnes_field(_("Declared quantity (t)"))
    packaging_type = forms.ChoiceField(label=_("Packaging"), choices=PackagingType.choices)
    packaging_count = forms.IntegerField(label=_("Packages"), min_value=1, max_value=1_000_000, initial=1)
    physical_form = forms.ChoiceField(label=_("Physical form"), choices=PhysicalForm.choices)
    batch_code = forms.CharField(label=_("Batch code"), required=False, max_length=64)

    def __init__(self, *args, facilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if facilities is not None:
            self.fields["source_facility"].queryset = facilities


class _BaseLineFormSet(forms.BaseFormSet):
    """The lines of a manifest; each line form takes `facilities` through `form_kwargs`."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(form.cleaned_data and not form.cleaned_data.get("DELETE") for form in self.forms):
            raise forms.ValidationError(_("A manifest needs at least one line."))


ManifestLineFormSet = forms.formset_factory(
    ManifestLineForm,
    formset=_BaseLineFormSet,
    extra=1,
    max_num=rules.MAX_LINES_PER_MANIFEST,
    # Django builds up to absolute_max forms from the posted TOTAL_FORMS (1,050 by default): a hostile
    # count must not build a thousand forms with their querysets.
    absolute_max=rules.MAX_LINES_PER_MANIFEST,
    validate_max=True,
    can_delete=True,
)


def consignor_facilities(user: User):
    return Facility.objects.filter(
        enterprise__in=signing_enterprises(user, Party.CONSIGNOR), active=True
    ).select_related("enterprise")


# --- signatures -----------------------------------------------------------------------------------


class CommentForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RequiredReasonForm(ReasonForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PickupForm(BootstrapFormMixin, forms.Form):
    vehicle_plate = forms.CharField(
        label=_("Vehicle plate"), max_length=16, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    driver = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Driver"), required=False)

    def __init__(self, *args, manifest, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if manifest.vehicle_plate:
            self.fields["vehicle_plate"].initial = manifest.vehicle_plate
        roles = scope_of(user).roles_on(manifest.carrier_id)
        if EnterpriseRole.DRIVER in roles and EnterpriseRole.ADMIN not in roles:
            # A driver signs for the load they drive; only the carrier's administrator names someone else.
            del self.fields["driver"]
        else:
            _choice_field(self, "driver").queryset = carrier_drivers(manifest.carrier_id)


class ReceiptLineForm(BootstrapFormMixin, forms.Form):
    line_no = forms.IntegerField(widget=forms.HiddenInput)
    received_quantity_t = tonnes_field(pgettext_lazy("weighed at the gate", "Received (t)"), allow_zero=True)
    acceptance = forms.ChoiceField(label=_("Acceptance"), choices=Acceptance.choices, initial=Acceptance.ACCEPTED)
    accepted_quantity_t = tonnes_field(_("Accepted (t)"), required=False, help_text=_("Only for a partial rejection."))
    rejection_reason = forms.CharField(label=_("Reason for rejection"), required=False, max_length=2000)
    facility = FacilityField(queryset=Facility.objects.none(), label=_("Received into facility"))

    def __init__(self, *args, facilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if facilities is not None:
            self.fields["facility"].queryset = facilities

    def clean(self):
        cleaned = super().clean()
        acceptance = cleaned.get("acceptance")
        if acceptance == Acceptance.PARTIALLY_REJECTED and cleaned.get("accepted_quantity_t") is None:
            self.add_error("accepted_quantity_t", _("A partial rejection states the accepted quantity."))
        if acceptance and acceptance != Acceptance.ACCEPTED and not cleaned.get("rejection_reason", "").strip():
            self.add_error("rejection_reason", _("Give the reason for the rejection."))
        return cleaned


class TreatmentLineForm(BootstrapFormMixin, forms.Form):
    line_no = forms.IntegerField(widget=forms.HiddenInput)
    method = MethodField(queryset=ManagementMethod.objects.none(), label=_("Management method"))
    quantity_t = tonnes_field(_("Treated (t)"))

    def __init__(self, *args, method_kinds=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].queryset = ManagementMethod.objects.active().filter(kind__in=method_kinds).in_code_order()


# One form per manifest line, built from `initial`; nothing can be added or removed.
ReceiptFormSet = forms.formset_factory(
    ReceiptLineForm, extra=0, max_num=rules.MAX_LINES_PER_MANIFEST, absolute_max=rules.MAX_LINES_PER_MANIFEST
)
TreatmentFormSet = forms.formset_factory(
    TreatmentLineForm, extra=0, max_num=rules.MAX_LINES_PER_MANIFEST, absolute_max=rules.MAX_LINES_PER_MANIFEST
)


class RevisionForm(BootstrapFormMixin, forms.Form):
    """A correction: the manifest's plate or date, and/or one field of one line (the receiver's received,
    accepted and treated figures included)."""

    LINE_FIELDS = [
        ("", "—"),
        ("declared_quantity_t", _("Declared quantity (t)")),
        ("packaging_type", _("Packaging")),
        ("packaging_count", _("Packages")),
        ("physical_form", _("Physical form")),
        ("hazard", _("Hazard characteristics")),
        ("batch_code", _("Batch code")),
        # The receiver's own figures: only the receiver proposes them, the consignor decides.
        ("received_quantity_t", pgettext_lazy("weighed at the gate", "Received (t)")),
        ("accepted_quantity_t", _("Accepted (t)")),
        ("treated_quantity_t", _("Treated (t)")),
        ("treatment_method", _("Management method (code)")),
    ]

    vehicle_plate = forms.CharField(label=_("New vehicle plate"), required=False, max_length=16)
    planned_date = forms.DateField(label=_("New planned date"), required=False, widget=DATE_INPUT(), validators=[PLAN])
    line_no = forms.TypedChoiceField(label=_("Line"), required=False, coerce=int, empty_value=None)
    line_field = forms.ChoiceField(label=_("Field of the line"), required=False, choices=LINE_FIELDS)
    line_value = forms.CharField(label=_("New value"), required=False, max_length=64)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, line_numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line_no"].choices = [("", "—"), *[(no, str(no)) for no in line_numbers]]

    def clean(self):
        cleaned = super().clean()
        line_no, field, value = cleaned.get("line_no"), cleaned.get("line_field"), cleaned.get("line_value", "")
        if field and line_no is None:
            self.add_error("line_no", _("Choose the line to correct."))
        if line_no is not None and not field:
            self.add_error("line_field", _("Choose the field to correct."))
        if field and not value.strip():
            self.add_error("line_value", _("Give the new value."))
        if field == "packaging_count" and value.strip():
            try:
                cleaned["line_value"] = int(value)
            except ValueError:
                self.add_error("line_value", _("Enter a whole number."))
        if not (cleaned.get("vehicle_plate") or cleaned.get("planned_date") or field):
            raise forms.ValidationError(_("Name at least one field to change."))
        return cleaned

    def changes(self) -> dict:
        data = self.cleaned_data
        manifest = {}
        if data.get("vehicle_plate"):
            manifest["vehicle_plate"] = data["vehicle_plate"]
        if data.get("planned_date"):
            manifest["planned_date"] = data["planned_date"]
        lines = {}
        if data.get("line_field"):
            lines[str(data["line_no"])] = {data["line_field"]: data["line_value"]}
        return {"manifest": manifest, "lines": lines}


class DecisionForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)
