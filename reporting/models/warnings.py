"""Early warnings: models."""
