"""Monthly reports, utilization snapshots and early warnings (built on transfers)."""
