"""Monthly waste reports filed by enterprises: services."""
