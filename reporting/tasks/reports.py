"""Monthly waste reports filed by enterprises: tasks."""
