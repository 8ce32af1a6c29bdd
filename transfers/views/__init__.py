"""Transfer pages, one module per subject; views stay thin: forms validate, services decide.

manifests   the manifest list and detail page, and what the current user may do
signatures  signatures (submit, pickup, receipt, treatment, cancel, reject) and revisions
drafts      preparing a manifest: new draft, edit draft
printing    the print copy and the public verification its QR code leads to
ledger      ledger entries and stock on hand
common      the manifest lookup and form helpers they share
"""

from .drafts import manifest_edit, manifest_new
from .ledger import ledger_list, ledger_new, stock_list
from .manifests import manifest_detail, manifest_list
from .printing import manifest_pdf, manifest_print, verification_token, verify
from .signatures import (
    manifest_pickup,
    manifest_receive,
    manifest_sign,
    manifest_treat,
    pickup_list,
    revision_decide,
    revision_propose,
)

__all__ = [
    "ledger_list",
    "ledger_new",
    "manifest_detail",
    "manifest_edit",
    "manifest_list",
    "manifest_new",
    "manifest_pickup",
    "manifest_pdf",
    "manifest_print",
    "manifest_receive",
    "manifest_sign",
    "manifest_treat",
    "pickup_list",
    "revision_decide",
    "revision_propose",
    "stock_list",
    "verification_token",
    "verify",
]
