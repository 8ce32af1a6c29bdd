"""Registry admin for system administrators: the catalogue, parks, enterprises, permits, people and API clients."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from wasteparks.admin import ReadOnlyMixin
from wasteparks.bounds import VALIDITY
from wasteparks.models import LoginEvent

from .clients import create_api_client, revoke_api_client
from .models import (
    ApiClient,
    ApiScope,
    Division,
    Enterprise,
    EnterpriseMembership,
    Facility,
    Invitation,
    JurisdictionMembership,
    ManagementMethod,
    Park,
    Permit,
    PermitLine,
    TransferApproval,
    TransferFiling,
    User,
    WasteCategory,
    WasteCode,
)


@admin.register(WasteCategory)
class WasteCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(WasteCode)
class WasteCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "waste_class", "category", "hazard", "name_zh", "active"]
    list_filter = ["waste_class", "active", "category"]
    search_fields = ["code", "name_zh", "name_en"]
    list_select_related = ["category"]


@admin.register(ManagementMethod)
class ManagementMethodAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "name_zh", "name_en", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "province_code"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Park)
class ParkAdmin(SimpleHistoryAdmin):
    list_display = ["name", "division", "utilization_target_pct", "updated_at"]
    list_filter = ["division"]
    search_fields = ["name", "division__code", "division__name_zh"]
    list_select_related = ["division"]


class FacilityInline(admin.TabularInline):
    model = Facility
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "credit_code",
        "park",
        "status",
        "management_class",
        "is_generator",
        "is_carrier",
        "is_receiver",
    ]
    list_filter = ["status", "management_class", "park", "is_generator", "is_carrier", "is_receiver"]
    search_fields = ["name", "credit_code", "contact_name", "address"]
    list_select_related = ["park"]
    readonly_fields = ["verified_by", "verified_at", "created_at", "updated_at"]
    inlines = [FacilityInline]
    history_list_display = ["status", "status_reason"]


@admin.register(Facility)
class FacilityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "enterprise", "kind", "capacity_t", "active", "cold_store"]
    list_filter = ["kind", "active", "cold_store"]
    search_fields = ["name", "enterprise__name", "enterprise__credit_code"]
    list_select_related = ["enterprise"]
    autocomplete_fields = ["enterprise"]


class ValidityDatesForm(forms.ModelForm):
    """The admin form of a model valid from one day to another: both days held to the VALIDITY window
    (wasteparks/bounds.py), so a mistyped 9999-12-31 is a field message, not a row that breaks every read.

    On the form, not the model fields, so that the window (which moves with today) needs no migration."""

    VALIDITY_FIELDS = ("valid_from", "valid_to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.VALIDITY_FIELDS:
            if name in self.fields:
                # Each form instance has its own copy of its fields: this does not pile up on the class.
                self.fields[name].validators.append(VALIDITY)


class PermitLineInline(admin.TabularInline):
    model = PermitLine
    extra = 0
    autocomplete_fields = ["waste_code", "category", "method"]


@admin.register(Permit)
class PermitAdmin(SimpleHistoryAdmin):
    form = ValidityDatesForm
    list_display = ["number", "kind", "enterprise", "valid_from", "valid_to", "status", "revoked_at"]
    list_filter = ["kind", "status", "valid_to"]
    search_fields = ["number", "enterprise__name", "enterprise__credit_code", "issuer"]
    list_select_related = ["enterprise"]
    autocomplete_fields = ["enterprise"]
    # The workflow (registry/licensing.py) moves the status, with who and why; a permit entered here is valid.
    readonly_fields = ["status", "status_reason", "decided_by", "decided_at", "renews"]
    inlines = [PermitLineInline]


@admin.register(TransferApproval)
class TransferApprovalAdmin(SimpleHistoryAdmin):
    form = ValidityDatesForm
    list_display = [
        "number",
        "consignor",
        "receiver",
        "waste_code",
        "approved_quantity_t",
        "quantity_used_t",
        "valid_to",
        "status",
    ]
    list_filter = ["valid_to"]
    search_fields = ["number", "consignor__name", "receiver__name", "waste_code__code"]
    list_select_related = ["consignor", "receiver", "waste_code"]
    autocomplete_fields = ["consignor", "receiver", "waste_code"]
    readonly_fields = ["status", "status_reason", "decided_by", "decided_at"]


@admin.register(TransferFiling)
class TransferFilingAdmin(SimpleHistoryAdmin):
    """Filings (备案) of cross-province general waste transfers for utilization, recorded from the paper copy."""

    list_display = ["number", "consignor", "receiver", "waste_code", "valid_from", "valid_to", "filed_with"]
    list_filter = ["valid_to"]
    search_fields = ["number", "consignor__name", "receiver__name", "waste_code__code"]
    list_select_related = ["consignor", "receiver", "waste_code"]
    autocomplete_fields = ["consignor", "receiver", "waste_code"]
    raw_id_fields = ["recorded_by"]


class EnterpriseMembershipInline(admin.TabularInline):
    model = EnterpriseMembership
    extra = 0
    autocomplete_fields = ["enterprise"]


class JurisdictionInline(admin.TabularInline):
    model = JurisdictionMembership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "email", "is_staff", "is_service_account", "is_active"]
    list_filter = [*BaseUserAdmin.list_filter, "is_service_account"]
    search_fields = ["username", "full_name", "email", "phone"]
    # Django's UserAdmin always sets fieldsets; the stubs type it as ModelAdmin's, which may be None.
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        (_("Profile"), {"fields": ["full_name", "phone", "is_service_account"]}),
    ]
    inlines = [EnterpriseMembershipInline, JurisdictionInline]


@admin.register(EnterpriseMembership)
class EnterpriseMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "enterprise", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "enterprise__name"]
    list_select_related = ["user", "enterprise"]
    autocomplete_fields = ["user", "enterprise"]


@admin.register(JurisdictionMembership)
class JurisdictionMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "park", "province_code", "created_at"]
    list_filter = ["role", "park"]
    search_fields = ["user__username", "user__full_name", "park__name"]
    list_select_related = ["user", "park"]


class ApiClientCreationForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "scope", "enterprise", "expires_at"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "scope", "enterprise", "token_prefix", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["scope"]
    search_fields = ["name", "token_prefix", "enterprise__name"]
    list_select_related = ["enterprise"]
    autocomplete_fields = ["enterprise"]
    readonly_fields = ["user", "token_prefix", "last_used_at", "created_at", "updated_at"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiClientCreationForm
            kwargs["fields"] = ApiClientCreationForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [*self.readonly_fields, "scope", "enterprise"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, token = create_api_client(
            name=obj.name,
            scope=obj.scope,
            enterprise=obj.enterprise if obj.scope == ApiScope.ENTERPRISE else None,
            expires_at=obj.expires_at,
            created_by=request.user,
        )
        obj.pk = client.pk
        obj.refresh_from_db()
        # The token is shown this once; only its hash is stored.
        messages.warning(
            request,
            _("Token for %(name)s (copy it now, it is not shown again): %(token)s")
            % {"name": client.name, "token": token},
        )

    @admin.action(description=_("Revoke the selected clients"))
    def revoke(self, request, queryset):
        # One at a time through the service, so each revocation is locked, logged and says who revoked it.
        revoked = 0
        for client in queryset.filter(revoked_at__isnull=True):
            revoke_api_client(client=client, revoked_by=request.user)
            revoked += 1
        self.message_user(request, _("%(count)d clients revoked.") % {"count": revoked})


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Written by enterprise administrators on their members page (registry.accounts); shown here."""

    list_display = ["email", "enterprise", "role", "invited_by", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "enterprise__name"]
    list_select_related = ["enterprise", "invited_by"]


@admin.register(LoginEvent)
class LoginEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The login audit (registry/signin.py): append-only, read here and on the provincial officers' page."""

    list_display = ["at", "username", "step", "succeeded", "ip_address", "user_agent"]
    list_filter = ["step", "succeeded"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "at"
