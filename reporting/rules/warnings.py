"""Early warnings: rules."""
