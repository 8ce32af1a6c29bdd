"""Imports of other platforms' transactions: reading files (formats), each platform's layout (batteries),
booking the rows (services), pulling pages from a platform (pull) and reconciling against the ledger
(reconcile)."""
