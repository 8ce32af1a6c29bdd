"""Pure checks of the reporting app (no I/O), one module a topic."""
