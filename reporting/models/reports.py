"""Monthly waste reports filed by enterprises: models."""
