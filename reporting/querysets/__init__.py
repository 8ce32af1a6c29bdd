"""Row-set verbs of the reporting app, one module a topic. Tenancy goes through registry.tenancy only."""
