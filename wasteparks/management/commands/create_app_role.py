"""manage.py create_app_role NAME [--password-env VAR]: the application's least-privilege database role.

Run it as the owner of the tables (the role `migrate` runs as), after every `migrate`; it is idempotent.
The role it creates or updates can log in and read and write rows, and nothing else:
- it owns no table, so it cannot ALTER, DROP or TRUNCATE one, nor `DISABLE TRIGGER` the tamper-evidence
  triggers that keep the ledger, the signatures and the audit chain append-only;
- it is no superuser, so it cannot `SET session_replication_role = replica` (which skips triggers);
- it may not create objects in the schema (so it cannot come to own anything either).
Its grants cover every table and sequence that exists now, and the owner's default privileges give it the
same on every table and sequence later migrations create.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"
ROLE_OPTIONS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def identifier(name: str) -> str:
    """A PostgreSQL identifier, quoted (an embedded double quote is doubled)."""
    return '"' + name.replace('"', '""') + '"'


class Command(BaseCommand):
    help = "Create or update the application's database role: reads and writes rows, owns nothing."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The role's name, e.g. wasteparks_app.")
        parser.add_argument(
            "--password-env",
            default=None,
            help="The environment variable holding the role's password (never on the command line).",
        )

    def handle(self, *args, name: str, password_env: str | None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter; this database is not PostgreSQL.")
        password = None
        if password_env is not None:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"{password_env} is not set or empty.")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            if name == owner:
                raise CommandError(f"{name} is the role running this command: the application needs its own.")
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                "WHERE r.rolname = %s AND c.relnamespace = 'public'::regnamespace",
                [name],
            )
            if cursor.fetchone()[0]:
                raise CommandError(f"{name} owns objects in the schema; an application role must own none.")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            role = identifier(name)
            statement = f"{verb} ROLE {role} WITH {ROLE_OPTIONS}"
            if password is None:
                cursor.execute(statement)
            else:
                cursor.execute(f"{statement} PASSWORD %s", [password])  # the driver quotes the value
            for template in (
                "GRANT CONNECT ON DATABASE {database} TO {role}",
                "GRANT USAGE ON SCHEMA public TO {role}",
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                "REVOKE CREATE ON SCHEMA public FROM {role}",
                f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {{role}}",
                f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA public TO {{role}}",
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {{owner}} IN SCHEMA public "
                f"GRANT {TABLE_PRIVILEGES} ON TABLES TO {{role}}",
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {{owner}} IN SCHEMA public "
                f"GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {{role}}",
            ):
                cursor.execute(template.format(role=role, owner=identifier(owner), database=identifier(database)))
        done = "Created" if verb == "CREATE" else "Updated"
        self.stdout.write(f"{done} role {name}: reads and writes the tables of {database}, owns none.")
