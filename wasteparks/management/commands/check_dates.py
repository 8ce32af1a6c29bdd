"""List stored rows whose dates fall outside the outer date window (wasteparks/bounds.py).

Rows written before the windows were enforced may hold a year-1 or year-9999 date that breaks every
page reading them. The check runs in SQL and reads only primary keys, so such a row is found without
being converted to a Python value (which is what fails).
"""

from datetime import datetime

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, models
from django.utils import timezone

from wasteparks.bounds import EARLIEST_DAY, OUTER
from wasteparks.periods import day_start


def rows_outside_window(*, now: datetime | None = None) -> list[tuple[str, str, list]]:
    """(model label, field name, primary keys) for every date or date-time column with rows outside."""
    now = now or timezone.now()
    found = []
    quote = connection.ops.quote_name
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                instants = (day_start(EARLIEST_DAY), OUTER.latest_instant(now))
                params = [field.get_db_prep_value(instant, connection) for instant in instants]
            elif isinstance(field, models.DateField):
                params = [EARLIEST_DAY.isoformat(), OUTER.latest_day(now).isoformat()]
            else:
                continue
            # A composite primary key (telemetry readings) has no single column: select every key column
            # and report each row's key as a tuple. Every concrete field of an installed model has its
            # column (the stubs allow None for a field not yet attached to a model).
            pk_columns = [pk_field.column for pk_field in model._meta.pk_fields]
            assert field.column is not None and all(pk_columns)
            column, table = quote(field.column), quote(model._meta.db_table)
            pk = ", ".join(quote(pk_column) for pk_column in pk_columns if pk_column)
            sql = f"SELECT {pk} FROM {table} WHERE {column} < %s OR {column} > %s ORDER BY {pk}"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                keys = [row[0] if len(row) == 1 else tuple(row) for row in cursor.fetchall()]
            if keys:
                found.append((model._meta.label, field.name, keys))
    return found


class Command(BaseCommand):
    help = "List rows whose dates are before 2000-01-01 or more than twenty years ahead."

    def handle(self, *args, **options):
        found = rows_outside_window()
        for label, field, keys in found:
            shown = ", ".join(str(key) for key in keys[:20]) + (" …" if len(keys) > 20 else "")
            self.stdout.write(f"{label}.{field}: {len(keys)} rows ({shown})")
        if not found:
            self.stdout.write("Every stored date is inside the window.")
            return
        raise SystemExit(1)
