"""The ledger and transfer manifests (built on the registry)."""
