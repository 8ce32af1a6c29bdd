"""Early warnings: the thresholds in force, and the provincial officers' changes to them.

A park's value of a threshold is its own override, else its province's value, else the setting
(`WARNING_*`, the default). `thresholds_for(park)` reads one park's; `ParkThresholds.load()` reads
every park's in one query, which is how the rules get them. A change is made by a provincial officer of
the province (or an administrator), with a reason that simple_history keeps with who and when; it is
refused, with nothing written, when the value is out of its range or when it would leave a notice above
its limit in any park it applies to.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from registry.models import Park, User
from registry.tenancy import scope_of
from wasteparks.errors import NotPermitted, RuleViolation

from ..models.thresholds import ORDERED_PAIRS, THRESHOLD_SPECS, ThresholdKey, ThresholdLevel, WarningThreshold
from .base import text


@dataclass(frozen=True)
class Threshold:
    """One threshold of one park: the default, the province's value and the park's own, and which holds."""

    key: str
    default: Decimal
    province: Decimal | None = None
    park: Decimal | None = None

    @property
    def label(self) -> str:
        return str(ThresholdKey(self.key).label)

    @property
    def value(self) -> Decimal:
        if self.park is not None:
            return self.park
        if self.province is not None:
            return self.province
        return self.default

    @property
    def shown(self) -> dict[str, str | None]:
        """The default, province, park and in-force values as plain text (no exponent, no trailing zeros)."""
        return {
            "default": text(self.default),
            "province": None if self.province is None else text(self.province),
            "park": None if self.park is None else text(self.park),
            "value": text(self.value),
        }

    @property
    def source(self) -> str:
        """Where the value in force comes from: "park", "province" or "default"."""
        if self.park is not None:
            return ThresholdLevel.PARK
        if self.province is not None:
            return ThresholdLevel.PROVINCE
        return "default"


class Thresholds:
    """The thresholds in force for one park (or, without park values, for a province)."""

    def __init__(self, *, province: Mapping[str, Decimal] | None = None, park: Mapping[str, Decimal] | None = None):
        province, park = province or {}, park or {}
        self._by_key = {
            key: Threshold(key, spec.default, province.get(key), park.get(key)) for key, spec in THRESHOLD_SPECS.items()
        }

    def __getitem__(self, key: str) -> int | Decimal:
        """The value in force, as a whole number for the thresholds counted in days, hours or months."""
        return THRESHOLD_SPECS[key].typed(self._by_key[key].value)

    def __iter__(self) -> Iterator[Threshold]:
        return iter(self._by_key.values())

    def levels(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """The province's values and the park's own, by key."""
        return (
            {t.key: t.province for t in self if t.province is not None},
            {t.key: t.park for t in self if t.park is not None},
        )

    def changed(self, *, level: str, key: str, value: Decimal | None) -> "Thresholds":
        """These thresholds with `key` set (or removed, with None) at `level`."""
        province, park = self.levels()
        values = park if level == ThresholdLevel.PARK else province
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
        return Thresholds(province=province, park=park)

    def out_of_order(self) -> list[tuple[Threshold, Threshold]]:
        """The (lower, upper) pairs whose lower value exceeds the upper one."""
        return [
            (self._by_key[lower], self._by_key[upper])
            for lower, upper in ORDERED_PAIRS
            if self._by_key[lower].value > self._by_key[upper].value
        ]


def thresholds_for(park: Park) -> Thresholds:
    """The thresholds in force for `park` (one query)."""
    province: dict[str, Decimal] = {}
    own: dict[str, Decimal] = {}
    rows = WarningThreshold.objects.filter(
        Q(park=park) | Q(park__isnull=True, province_code=park.province_code)
    ).values_list("key", "value", "park_id")
    for key, value, park_id in rows:
        (own if park_id else province)[key] = value
    return Thresholds(province=province, park=own)


class ParkThresholds:
    """Every park's thresholds, read once (one query) for a rule scan or a page."""

    def __init__(self, by_park: dict[int, Thresholds]):
        self._by_park = by_park
        self._defaults = Thresholds()

    @classmethod
    def load(cls, parks: QuerySet | None = None) -> "ParkThresholds":
        parks = Park.objects.all() if parks is None else parks
        annotations = {}
        for key in THRESHOLD_SPECS:
            own = WarningThreshold.objects.filter(park=OuterRef("pk"), key=key)
            province = WarningThreshold.objects.filter(
                park__isnull=True, province_code=OuterRef("division__province_code"), key=key
            )
            annotations[f"park_{key}"] = Subquery(own.values("value")[:1])
            annotations[f"province_{key}"] = Subquery(province.values("value")[:1])
        by_park = {}
        for row in parks.order_by().annotate(**annotations).values("pk", *annotations):
            by_park[row["pk"]] = Thresholds(
                province={key: row[f"province_{key}"] for key in THRESHOLD_SPECS if row[f"province_{key}"] is not None},
                park={key: row[f"park_{key}"] for key in THRESHOLD_SPECS if row[f"park_{key}"] is not None},
            )
        return cls(by_park)

    def for_park(self, park_id: int) -> Thresholds:
        # A park registered after the scan began has no values of its own yet: the defaults apply.
        return self._by_park.get(park_id, self._defaults)

    def items(self):
        return self._by_park.items()

    def smallest(self, key: str) -> int | Decimal:
        """The smallest value of `key` in force anywhere: the loosest cut for a query that flags values
        above their threshold (each row is then checked against its own park's value)."""
        return min((t[key] for t in self._by_park.values()), default=self._defaults[key])

    def largest(self, key: str) -> int | Decimal:
        """The largest value of `key` in force anywhere (see `smallest`)."""
        return max((t[key] for t in self._by_park.values()), default=self._defaults[key])


# --- changes --------------------------------------------------------------------------------------


def may_see_thresholds(user: User | AnonymousUser) -> bool:
    """Officers read the thresholds of their parks (an administrator every park's)."""
    scope = scope_of(user)
    return scope.is_officer or (scope.everything and not scope.read_only)


def may_change_thresholds(user: User | AnonymousUser, province_code: str) -> bool:
    """Provincial officers change their province's thresholds (an administrator any province's)."""
    scope = scope_of(user)
    return (scope.everything and not scope.read_only) or province_code in scope.province_codes


@transaction.atomic
def set_threshold(
    *,
    actor: User,
    key: str,
    value: Decimal | None,
    reason: str,
    province_code: str = "",
    park: Park | None = None,
) -> WarningThreshold | None:
    """Set one threshold for a province or, as an override, for one park; `value` None removes that
    level's value (the province's or the setting then applies). Returns the row written (None when
    removed)."""
    if park is not None:
        if province_code:
            raise ValueError("set a threshold for a province or for a park, not both")
        province_code = park.province_code
    elif not province_code:
        raise ValueError("set a threshold for a province or for a park")
    if not may_change_thresholds(actor, province_code):
        raise NotPermitted(_("Only a provincial officer of the province may change its warning thresholds."))
    if key not in THRESHOLD_SPECS:
        raise RuleViolation(_("Unknown threshold."), code="threshold_unknown", fields={"key": [_("Unknown.")]})
    reason = reason.strip()
    if not reason:
        raise RuleViolation(
            _("Give the reason for the change."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    if value is not None and (problem := THRESHOLD_SPECS[key].problem(value)):
        raise RuleViolation(str(problem), code="threshold_out_of_range", fields={"value": [str(problem)]})

    level = ThresholdLevel.PARK if park is not None else ThresholdLevel.PROVINCE
    reached = Park.objects.filter(pk=park.pk) if park is not None else Park.objects.in_province(province_code)
    # Lock the parks the change applies to: two officers changing a notice and its limit at once must
    # not both pass the order check below against what the other is about to change.
    locked = list(reached.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    affected = Park.objects.filter(pk__in=locked)
    _check_order(level=level, key=key, value=value, province_code=province_code, affected=affected)

    row = WarningThreshold.objects.filter(key=key, park=park, province_code="" if park else province_code).first()
    if value is None:
        if row is not None:
            row._history_user = actor
            row._change_reason = reason
            row.delete()
        return None
    if row is None:
        row = WarningThreshold(key=key, park=park, province_code="" if park else province_code)
    row.value = value
    row._history_user = actor
    row._change_reason = reason
    row.save()
    return row


def _check_order(*, level: str, key: str, value: Decimal | None, province_code: str, affected: QuerySet) -> None:
    """Refuse a change that would put a notice above its limit (or a warning above its critical level)
    in the province itself or in any park it applies to."""
    names = {park.pk: park.name for park in affected.only("pk", "name")}
    current = ParkThresholds.load(affected)
    candidates = [(names[pk], thresholds) for pk, thresholds in current.items()]
    if level == ThresholdLevel.PROVINCE:
        province = WarningThreshold.objects.filter(park__isnull=True, province_code=province_code)
        candidates.append((province_code, Thresholds(province=dict(province.values_list("key", "value")))))
    for where, thresholds in candidates:
        for lower, upper in thresholds.changed(level=level, key=key, value=value).out_of_order():
            message = _("“%(lower)s” (%(lower_value)s) would exceed “%(upper)s” (%(upper_value)s) in %(where)s.") % {
                "lower": lower.label,
                "lower_value": text(lower.value),
                "upper": upper.label,
                "upper_value": text(upper.value),
                "where": where,
            }
            raise RuleViolation(message, code="thresholds_out_of_order", fields={"value": [message]})
