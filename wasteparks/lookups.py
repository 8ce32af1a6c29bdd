"""`<foreign key>__any_of=[ids]`: membership in a list of ids, sent as one array parameter.

Django's `__in` prepares, resolves and binds every element on its own: for a park officer's few hundred
enterprises on a manifest's three party columns, that was about 10 ms of Python per query
(bench/RESULTS.md, B5). On PostgreSQL `any_of` writes `column = ANY(%s)` with the whole list as one
array parameter (the same plan as `IN (...)`); elsewhere it writes the same `IN (...)` as `__in`.

Given a plain list, Django still walks it element by element when it builds the filter and again each time
it compares or hashes the condition (query cloning, combining `Q`s): several milliseconds a page for a
park's 400 ids on three columns. `IdArray` is the list as one hashable value, which Django passes through
untouched; `registry.tenancy.among` sends every list of ids as one.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignKey, Lookup


class IdArray:
    """Whole-number ids as one value: hashable, compared as a whole, never walked by the ORM."""

    __slots__ = ("ids",)

    def __init__(self, ids):
        self.ids = tuple(int(value) for value in ids)

    def __iter__(self):
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __eq__(self, other) -> bool:
        return isinstance(other, IdArray) and self.ids == other.ids

    def __hash__(self) -> int:
        return hash(self.ids)

    def __repr__(self) -> str:
        return f"IdArray({list(self.ids)!r})"


@ForeignKey.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        # A tuple, which Django hashes and compares in one step; sent to PostgreSQL as a list (an array).
        if isinstance(self.rhs, IdArray):
            return self.rhs.ids
        return tuple(int(value) for value in self.rhs)

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]
