"""Who and what: the waste catalogue, parks, enterprises, facilities, permits, people and API clients.

One module a subject; everything is importable from `registry.models`.
"""

from ..rules import EnterpriseStatus, ManagementClass
from .catalogue import Division, ManagementMethod, MethodKind, WasteCategory, WasteClass, WasteCode
from .organisations import TREATMENT_KINDS, Enterprise, EnterpriseRole, Facility, FacilityKind, Park
from .people import ApiClient, ApiScope, EnterpriseMembership, JurisdictionMembership, OfficerRole, User
from .permits import Permit, PermitKind, PermitLine, TransferApproval

__all__ = [
    "TREATMENT_KINDS",
    "ApiClient",
    "ApiScope",
    "Division",
    "Enterprise",
    "EnterpriseMembership",
    "EnterpriseRole",
    "EnterpriseStatus",
    "Facility",
    "FacilityKind",
    "JurisdictionMembership",
    "ManagementClass",
    "ManagementMethod",
    "MethodKind",
    "OfficerRole",
    "Park",
    "Permit",
    "PermitKind",
    "PermitLine",
    "TransferApproval",
    "User",
    "WasteCategory",
    "WasteClass",
    "WasteCode",
]
