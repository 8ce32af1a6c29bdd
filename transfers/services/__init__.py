"""Transfer workflows: the ledger, drafts, manifest signatures and revisions (split by subject)."""

from .drafts import LineInput, create_manifest, update_draft
from .ledger import move_stock, post_entry, record_ledger_entry
from .manifests import (
    ReceiptInput,
    TreatmentInput,
    cancel_manifest,
    pickup_manifest,
    receive_manifest,
    reject_manifest,
    submit_manifest,
    treat_manifest,
)
from .revisions import decide_revision, propose_revision

__all__ = [
    "LineInput",
    "ReceiptInput",
    "TreatmentInput",
    "cancel_manifest",
    "create_manifest",
    "decide_revision",
    "move_stock",
    "pickup_manifest",
    "post_entry",
    "propose_revision",
    "receive_manifest",
    "record_ledger_entry",
    "reject_manifest",
    "submit_manifest",
    "treat_manifest",
    "update_draft",
]
