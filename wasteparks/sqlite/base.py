"""The embedded default's database: Django's SQLite backend whose table rebuilds keep the triggers.

SQLite cannot alter most columns or constraints in place, so Django rebuilds the table: it creates a new
one, copies the rows, drops the old one and renames the new one. Dropping a table drops its own triggers
(the change versions, the append-only guards), and the rename is refused while a trigger of another table
(one that follows a name into this table) still names it. The rebuild here sets both kinds aside and makes
them again afterwards, as they were, so a migration that alters a tracked table keeps it tracked.
"""

import re

from django.db.backends.sqlite3 import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model, create_field=None, delete_field=None, alter_fields=None):
        triggers = self._triggers_naming(model._meta.db_table)
        for name, _sql in triggers:
            self.execute(f'DROP TRIGGER "{name}"', params=None)
        super()._remake_table(model, create_field=create_field, delete_field=delete_field, alter_fields=alter_fields)
        for _name, sql in triggers:
            self.execute(sql, params=None)

    def _triggers_naming(self, table: str) -> list[tuple[str, str]]:
        """The triggers on `table` and those whose body names it."""
        word = re.compile(rf"\b{re.escape(table)}\b")
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            return [(name, sql) for name, on, sql in cursor.fetchall() if on == table or word.search(sql)]


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
