"""The fast manifest list: ManifestSerializer's output for a page of manifests, without model instances."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from django.contrib.postgres.aggregates import StringAgg
from django.db import connections, router
from django.db.models import (
    BooleanField,
    CharField,
    F,
    ForeignKey,
    Func,
    IntegerField,
    Model,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from wasteparks.api.renderers import JSONArrayText
from wasteparks.lookups import AnyOf

from ..models import Manifest, ManifestEvent, ManifestLine
from .serializers import ManifestEventSerializer, ManifestLineSerializer, ManifestSerializer


@dataclass(frozen=True)
class _Rows:
    """Where a serializer's fields are read from: its model, its fields in order, the model column of each
    field named otherwise, and the fields whose text is not the column's own (date-times, dates, decimals)."""

    model: type[Model]
    fields: tuple[str, ...]
    columns: dict[str, str]
    times: tuple[str, ...] = ()
    decimals: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()


def _without(names: tuple[str, ...], excluded) -> tuple[str, ...]:
    return tuple(name for name in names if name not in excluded)


class ManifestFeed:
    """ManifestSerializer's output for a page of manifests, built from bare rows.

    The provincial platform pulls every manifest with its lines and signatures; at a thousand a page,
    model instances and per-field serializer calls cost far more than the queries (bench/b1_full_sync.py
    measured it), and so do dicts built in Python for the renderer to take apart again (bench/b1_renderer.py).
    On PostgreSQL the database writes the page's JSON text itself, in one query; elsewhere the page is
    built from values() rows in three. Either way the representation is exactly ManifestSerializer's, and
    the answer's bytes exactly what FastJSONRenderer writes of it (tests/transfers/test_manifest_feed.py):
    decimals as fixed-point strings, date-times in the current time zone in ISO 8601, related rows as ids
    or slugs.
    """

    MANIFEST_FIELDS = tuple(ManifestSerializer.Meta.fields)
    LINE_FIELDS = tuple(ManifestLineSerializer.Meta.fields)
    EVENT_FIELDS = tuple(ManifestEventSerializer.Meta.fields)
    # Model columns read for each output field, when they differ from its name.
    MANIFEST_COLUMNS = {
        "consignor": "consignor_id",
        "carrier": "carrier_id",
        "receiver": "receiver_id",
        "driver": "driver_id",
        "approval": "approval_id",
        "consignor_name": "consignor__name",
        "carrier_name": "carrier__name",
        "receiver_name": "receiver__name",
    }
    LINE_COLUMNS = {
        "waste_code": "waste_code__code",
        "source_facility": "source_facility_id",
        "receiving_facility": "receiving_facility_id",
        "treatment_method": "treatment_method__code",
    }
    EVENT_COLUMNS = {"actor": "actor__username", "acting_enterprise": "acting_enterprise_id"}
    MANIFEST_TIMES = ("submitted_at", "picked_up_at", "received_at", "completed_at", "cancelled_at", "rejected_at",
                      "created_at", "updated_at")  # fmt: skip
    LINE_DECIMALS = ("declared_quantity_t", "received_quantity_t", "accepted_quantity_t", "treated_quantity_t")
    DATE_FIELDS = ("planned_date",)

    LINES = _Rows(ManifestLine, LINE_FIELDS, LINE_COLUMNS, times=("treated_at",), decimals=LINE_DECIMALS)
    SIGNATURES = _Rows(ManifestEvent, EVENT_FIELDS, EVENT_COLUMNS, times=("at",))
    # The manifest's fields that nest the rows of another serializer, each a JSON array of those rows.
    NESTED = {"lines": LINES, "signatures": SIGNATURES}
    MANIFESTS = _Rows(
        Manifest, _without(MANIFEST_FIELDS, NESTED), MANIFEST_COLUMNS, times=MANIFEST_TIMES, dates=DATE_FIELDS
    )

    def __init__(self, *, using: str | None = None):
        # One database for all of a page's queries: the one its ids were read from, when given.
        self.db = using or router.db_for_read(Manifest)
        self.zone = timezone.get_current_timezone()
        # On PostgreSQL the text of date-times, dates and decimals, and then the whole page, is written by
        # the database; elsewhere, or for a zone without a plain name, here.
        key = getattr(self.zone, "key", None)
        plain_zone = isinstance(key, str) and _ZONE_NAME.fullmatch(key) is not None
        self.in_sql = connections[self.db].vendor == "postgresql" and plain_zone

    def page(self, ids: list[int]) -> Sequence[dict]:
        """The manifests of `ids` in that order: on PostgreSQL as the JSON text it wrote, else as dicts."""
        if not ids:
            return []
        return self.page_text(ids) if self.in_sql else self.page_rows(ids)

    def page_rows(self, ids: list[int]) -> list[dict]:
        """The page as dicts, from three values() queries."""
        if not ids:
            return []
        # Positional rows and one dict(zip()) each: this loop runs for every row of a full sync.
        lines: dict[int, list[dict]] = {pk: [] for pk in ids}
        names = self.LINES.fields
        for values in self._values(self.LINES, ManifestLine.objects.filter(manifest_id__in=ids)):
            lines[values[-1]].append(dict(zip(names, values, strict=False)))  # drops the trailing manifest_id
        events: dict[int, list[dict]] = {pk: [] for pk in ids}
        names = self.SIGNATURES.fields
        for values in self._values(self.SIGNATURES, ManifestEvent.objects.filter(manifest_id__in=ids)):
            events[values[-1]].append(dict(zip(names, values, strict=False)))
        names = self.MANIFEST_FIELDS
        at_lines, at_signatures = names.index("lines"), names.index("signatures")
        manifests = {}
        for values in self._values(self.MANIFESTS, Manifest.objects.filter(pk__in=ids), last="id"):
            values.pop()
            pk = values[0]
            values.insert(at_lines, lines[pk])
            values.insert(at_signatures, events[pk])
            manifests[pk] = dict(zip(names, values, strict=True))
        return [manifests[pk] for pk in ids if pk in manifests]

    def page_text(self, ids: list[int]) -> JSONArrayText:
        """The page as the JSON text PostgreSQL writes in one query: each manifest's object with its lines
        and signatures nested, byte for byte what FastJSONRenderer writes of page_rows()."""
        from psycopg2.extensions import BYTES, register_type  # type: ignore[import-untyped]

        sql, params = self._statement()
        with connections[self.db].cursor() as cursor:
            # The texts as the UTF-8 PostgreSQL sends (the connection's client encoding), not decoded into
            # str to be joined and encoded again: that took longer than the rest of the Python of a page.
            register_type(BYTES, cursor.cursor)
            cursor.execute(sql, [ids if param is _PAGE_IDS else param for param in params])
            texts = dict(cursor.fetchall())
        return JSONArrayText(b"[" + b",".join(texts[pk] for pk in ids if pk in texts) + b"]")

    def _statement(self) -> tuple[str, list]:
        """page_text()'s query and its parameters, _PAGE_IDS standing for the page's ids.

        A manifest's object is written in runs of its own fields; between them come its lines' and its
        signatures' arrays, each aggregated for the whole page in one pass and joined by manifest id (a
        subquery per manifest took a fifth longer). Compiled once per database and time zone: resolving
        and compiling its few hundred expressions took Django about a fifth of a page's time."""
        if not self.in_sql:
            raise ValueError("the page is written by PostgreSQL only (see in_sql)")
        key = (self.db, self.zone.key)
        if key not in _STATEMENTS:
            runs: list[list] = [[]]
            for index, name in enumerate(self.MANIFEST_FIELDS):
                member = ("{" if index == 0 else ",") + orjson.dumps(name).decode() + ":"
                if name in self.NESTED:
                    runs[-1].append(Value(member + "["))
                    runs.append([Value("]")])
                else:
                    runs[-1] += [Value(member), self._json(self.MANIFESTS, name)]
            runs[-1].append(Value("}"))
            names = [f"run{index}" for index in range(len(runs))]
            manifests = Manifest.objects.filter(AnyOf(F("pk"), [0])).order_by()
            manifests = manifests.annotate(
                manifest_id=F("pk"), **{name: _Concat(*run) for name, run in zip(names, runs, strict=True)}
            )
            sql, params = self._compiled(manifests.values_list("manifest_id", *names))
            text, joins = [f"m.{names[0]}"], []
            nested = [name for name in self.MANIFEST_FIELDS if name in self.NESTED]
            for index, name in enumerate(nested):
                array_sql, array_params = self._arrays(self.NESTED[name])
                text += [f"COALESCE(a{index}.items, '')", f"m.{names[index + 1]}"]
                joins.append(f"LEFT JOIN ({array_sql}) a{index} ON a{index}.manifest_id = m.manifest_id")
                params += array_params
            # Compiled querysets, joined by fixed aliases: nothing from a request is written into the SQL.
            statement = f"SELECT m.manifest_id, {' || '.join(text)} FROM ({sql}) m {' '.join(joins)}"  # noqa: S608
            _STATEMENTS[key] = statement, params
        return _STATEMENTS[key]

    def _arrays(self, rows: _Rows) -> tuple[str, list]:
        """The query of the page's manifests' rows of `rows.model` as (manifest_id, items): the items of
        each manifest's JSON array, in the model's default order (the order page_rows() reads them in)."""
        members = [(name, self._json(rows, name)) for name in rows.fields]
        items = StringAgg(_JSONObject(members), ",", order_by=tuple(rows.model._meta.ordering or ()))
        queryset = rows.model._default_manager.filter(manifest__any_of=[0]).order_by().values("manifest_id")
        return self._compiled(queryset.annotate(items=items).values_list("manifest_id", "items"))

    def _compiled(self, queryset) -> tuple[str, list]:
        """A queryset filtered by any_of [0] as SQL, its parameters with _PAGE_IDS in place of [0]."""
        sql, params = queryset.query.get_compiler(using=self.db).as_sql()
        # The ids are the one parameter of the WHERE clause, after all those of the SELECT clause.
        if list(params[-1]) != [0]:
            raise ValueError(f"the page's ids are not the query's last parameter: {sql}")
        return sql, [*params[:-1], _PAGE_IDS]

    def _json(self, rows: _Rows, name: str) -> Func:
        """A field's JSON text: the string of the text DRF writes of a date-time, date or decimal, else
        the column's own JSON."""
        field = self._field(rows, name)
        if name in rows.times or name in rows.decimals or name in rows.dates:
            return _JSONString(field)
        return _JSONValue(field)

    def _field(self, rows: _Rows, name: str):
        """What is read for a field: its column, or on PostgreSQL the text DRF writes of it."""
        column = rows.columns.get(name, name)
        if self.in_sql and name in rows.times:
            return _IsoTime(F(column), zone=self.zone.key)
        if self.in_sql and (name in rows.decimals or name in rows.dates):
            return Cast(column, TextField())
        return column

    def _values(self, rows: _Rows, queryset, last="manifest_id"):
        """Rows as lists in the order of `rows.fields`, then `last`, in the model's default order, with the
        date-times, dates and decimals already as DRF writes them."""
        names = rows.fields
        positions = [] if self.in_sql else [
            (names.index(name), kind)
            for kind, group in (("time", rows.times), ("decimal", rows.decimals), ("date", rows.dates))
            for name in group
        ]  # fmt: skip
        fields = [self._field(rows, name) for name in names]
        for values in queryset.using(self.db).values_list(*fields, last):
            values = list(values)
            for index, kind in positions:
                value = values[index]
                if kind == "time":
                    values[index] = self._time(value)
                elif value is not None:
                    values[index] = f"{value:f}" if kind == "decimal" else value.isoformat()
            yield values

    def _time(self, value):
        """DRF's DateTimeField: the current time zone, ISO 8601, 'Z' for UTC."""
        if not value:
            return None
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


# page_text()'s compiled query by database alias and time zone name, and what stands for the page's ids.
_STATEMENTS: dict[tuple[str, str], tuple[str, list]] = {}
_PAGE_IDS = object()
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")


class _IsoTime(Func):
    """A timestamptz as DRF's DateTimeField writes it (datetime.isoformat() in `zone`): local wall time,
    microseconds only when not zero, then the zone's offset at that instant, 'Z' when it is zero.
    (Offsets with seconds, local mean time before 1901, are written to the minute.)"""

    output_field = CharField()

    def __init__(self, expression, *, zone: str):
        if _ZONE_NAME.fullmatch(zone) is None:  # the name is written into the SQL: only plain zone names
            raise ValueError(f"not a time zone name: {zone!r}")
        local = f"(%(expressions)s AT TIME ZONE '{zone}')"
        offset = f"({local} - (%(expressions)s AT TIME ZONE 'UTC'))"
        self.template = (
            # '.000000' can only be the microseconds: written only when they are not zero.
            f"replace(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
            f" || CASE WHEN {offset} > interval '0' THEN '+' || to_char({offset}, 'HH24:MI')"
            f" WHEN {offset} < interval '0' THEN '-' || to_char(-{offset}, 'HH24:MI') ELSE 'Z' END"
        )
        super().__init__(expression)


# PostgreSQL's to_json() writes a string as orjson and DRF do: raw UTF-8, the short escapes of \b \f \n \r
# \t " and \, other control characters as \u00XX in lowercase (a text holds no NUL). It leaves U+2028 and
# U+2029 raw; FastJSONRenderer escapes them in the whole answer, this text included.


class _JSONValue(Func):
    """A column's value as JSON text, null for NULL: integers and booleans as their text (what json.dumps
    writes of Python's int and bool, and cheaper than to_json()), anything else through to_json()."""

    template = "COALESCE(to_json(%(expressions)s)::text, 'null')"
    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        source = self.get_source_expressions()[0].output_field
        if isinstance(source, ForeignKey):
            source = source.target_field
        if isinstance(source, IntegerField | BooleanField):
            extra["template"] = "COALESCE((%(expressions)s)::text, 'null')"
        return super().as_sql(compiler, connection, **extra)


class _JSONString(Func):
    """A text that needs no escaping (a date-time, date or decimal as DRF writes it) as a JSON string,
    null for NULL."""

    template = "COALESCE('\"' || %(expressions)s || '\"', 'null')"
    output_field = TextField()


class _Concat(Func):
    """Texts concatenated with || (each piece here is a literal or COALESCEd, so never NULL)."""

    template = "(%(expressions)s)"
    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, arg_joiner=" || ", **extra)


class _JSONObject(_Concat):
    """A JSON object's text, compact, its members in the order given: '{"name":' || value || ',"next":' ...
    (json_build_object writes ' : ' and ', ' between them; row_to_json would need a row type of the fields
    and was no faster.)"""

    def __init__(self, members: list[tuple[str, Func]]):
        pieces: list = []
        for index, (name, value) in enumerate(members):
            key = orjson.dumps(name).decode()
            pieces += [Value(("{" if index == 0 else ",") + key + ":"), value]
        pieces.append(Value("}"))
        super().__init__(*pieces)
