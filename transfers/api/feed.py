"""The fast manifest list: ManifestSerializer's output for a page of manifests, built from bare rows."""

import re

from django.db import connection
from django.db.models import CharField, F, Func, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from ..models import Manifest, ManifestEvent, ManifestLine
from .serializers import ManifestEventSerializer, ManifestLineSerializer, ManifestSerializer


class ManifestFeed:
    """ManifestSerializer's output for a page of manifests, built from values() rows in three queries.

    The provincial platform pulls every manifest with its lines and signatures; at a thousand a page,
    model instances and per-field serializer calls cost far more than the queries (bench/b1_full_sync.py
    measured it). The representation is exactly ManifestSerializer's (tests/bench compares them):
    decimals as fixed-point strings, date-times in the current time zone in ISO 8601, related rows as
    ids or slugs.
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

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        # On PostgreSQL the text of date-times, dates and decimals is written by the database (about a
        # third of a page's time in Python otherwise); elsewhere, or for a zone without a plain name, here.
        key = getattr(self.zone, "key", None)
        self.in_sql = connection.vendor == "postgresql" and bool(key) and _ZONE_NAME.fullmatch(key) is not None

    def page(self, ids: list[int]) -> list[dict]:
        if not ids:
            return []
        # Positional rows and one dict(zip()) each: this loop runs for every row of a full sync.
        lines: dict[int, list[dict]] = {pk: [] for pk in ids}
        names = self.LINE_FIELDS
        rows = self._values(
            ManifestLine.objects.filter(manifest_id__in=ids), names, self.LINE_COLUMNS,
            times=("treated_at",), decimals=self.LINE_DECIMALS,
        )  # fmt: skip
        for values in rows:
            lines[values[-1]].append(dict(zip(names, values, strict=False)))  # drops the trailing manifest_id
        events: dict[int, list[dict]] = {pk: [] for pk in ids}
        names = self.EVENT_FIELDS
        rows = self._values(ManifestEvent.objects.filter(manifest_id__in=ids), names, self.EVENT_COLUMNS, times=("at",))
        for values in rows:
            events[values[-1]].append(dict(zip(names, values, strict=False)))
        names = self.MANIFEST_FIELDS
        columns = [name for name in names if name not in ("lines", "signatures")]
        at_lines, at_signatures = names.index("lines"), names.index("signatures")
        manifests = {}
        rows = self._values(
            Manifest.objects.filter(pk__in=ids), columns, self.MANIFEST_COLUMNS, last="id",
            times=self.MANIFEST_TIMES, dates=self.DATE_FIELDS,
        )  # fmt: skip
        for values in rows:
            values.pop()
            pk = values[0]
            values.insert(at_lines, lines[pk])
            values.insert(at_signatures, events[pk])
            manifests[pk] = dict(zip(names, values, strict=True))
        return [manifests[pk] for pk in ids if pk in manifests]

    def _values(self, queryset, names, columns, last="manifest_id", times=(), decimals=(), dates=()):
        """Rows as lists in the order of `names`, then `last`, in the model's default order, with the
        date-times, dates and decimals already as DRF writes them."""
        fields = []
        for name in names:
            column = columns.get(name, name)
            if self.in_sql and name in times:
                fields.append(_IsoTime(F(column), zone=self.zone.key))
            elif self.in_sql and (name in decimals or name in dates):
                fields.append(Cast(column, TextField()))
            else:
                fields.append(column)
        positions = [] if self.in_sql else [
            (names.index(name), kind)
            for kind, group in (("time", times), ("decimal", decimals), ("date", dates))
            for name in group
        ]  # fmt: skip
        for values in queryset.values_list(*fields, last):
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
            f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            f" || CASE WHEN mod(date_part('microseconds', {local})::bigint, 1000000) = 0 THEN ''"
            f" ELSE to_char({local}, '.US') END"
            f" || CASE WHEN {offset} = interval '0' THEN 'Z'"
            f" WHEN {offset} > interval '0' THEN '+' || to_char({offset}, 'HH24:MI')"
            f" ELSE '-' || to_char(-{offset}, 'HH24:MI') END"
        )
        super().__init__(expression)
