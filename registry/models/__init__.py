"""Who and what: the waste catalogue, parks, enterprises, facilities, permits, people and API clients.

One module a subject; everything is importable from `registry.models`.
"""

from ..rules import EnterpriseStatus, ManagementClass
from .catalogue import Division, ManagementMethod, MethodKind, WasteCategory, WasteClass, WasteCode
from .classes import ClassChangeSource, ManagementClassChange
from .devices import Device, DeviceKind
from .filings import TransferFiling
from .invitations import Invitation, token_digest
from .organisations import TREATMENT_KINDS, Enterprise, EnterpriseRole, Facility, FacilityKind, Park
from .people import ApiClient, ApiScope, EnterpriseMembership, JurisdictionMembership, OfficerRole, User
from .permits import Permit, PermitKind, PermitLine, TransferApproval

__all__ = [
    "TREATMENT_KINDS",
    "ApiClient",
    "ApiScope",
    "ClassChangeSource",
    "Device",
    "DeviceKind",
    "Division",
    "Enterprise",
    "EnterpriseMembership",
    "EnterpriseRole",
    "EnterpriseStatus",
    "Facility",
    "FacilityKind",
    "Invitation",
    "JurisdictionMembership",
    "ManagementClass",
    "ManagementClassChange",
    "ManagementMethod",
    "MethodKind",
    "OfficerRole",
    "Park",
    "Permit",
    "PermitKind",
    "PermitLine",
    "TransferApproval",
    "TransferFiling",
    "User",
    "WasteCategory",
    "WasteClass",
    "WasteCode",
    "token_digest",
]
