"""Utilization-rate snapshots: api."""

routes: list = []
