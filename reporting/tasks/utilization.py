"""Utilization-rate snapshots: tasks."""
