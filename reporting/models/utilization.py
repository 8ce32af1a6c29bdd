"""Utilization-rate snapshots: models."""
