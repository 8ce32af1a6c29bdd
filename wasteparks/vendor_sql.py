"""Migration operations written as SQL for each database: PostgreSQL (production) and SQLite (the
embedded default). A vendor with no statements runs nothing."""

from django.db import migrations

Statements = dict[str, list[str]]


def _execute(statements: Statements):
    def execute(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return execute


def run_sql_per_vendor(forward: Statements, reverse: Statements) -> migrations.RunPython:
    """The operation that runs `forward`'s statements for the migrated database's vendor, and `reverse`'s
    when the migration is reversed."""
    return migrations.RunPython(_execute(forward), _execute(reverse))
