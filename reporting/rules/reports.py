"""Monthly waste reports filed by enterprises: rules."""
