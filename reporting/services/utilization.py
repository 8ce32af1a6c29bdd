"""Utilization-rate snapshots: services."""
