"""Utilization-rate snapshots: rules."""
