"""Early warnings: services."""
