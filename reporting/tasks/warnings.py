"""Early warnings: tasks."""
