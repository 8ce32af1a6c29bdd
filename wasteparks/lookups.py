"""`<foreign key>__any_of=[ids]`: membership in a list of ids, sent as one array parameter.

Django's `__in` prepares, resolves and binds every element on its own: for a park officer's few hundred
enterprises on a manifest's three party columns, that was about 10 ms of Python per query
(bench/RESULTS.md, B5). On PostgreSQL `any_of` writes `column = ANY(%s)` with the whole list as one
array parameter (the same plan as `IN (...)`); elsewhere it writes the same `IN (...)` as `__in`.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignKey, Lookup


@ForeignKey.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]
